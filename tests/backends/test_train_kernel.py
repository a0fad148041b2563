"""The fused kernel is compiled per loss, set of activations, update rule and weighting, and
holds nothing else."""

import json
import os
import subprocess
import sys

from fastmlp.backends import _train_kernel as K
from fastmlp.backends.codes import (
    BINARY_CROSS_ENTROPY,
    CROSS_ENTROPY,
    IDENTITY,
    LEAKY_RELU,
    MSE,
    OPT_ADAM,
    OPT_RMSPROP,
    OPT_SGD,
    RELU,
    SIGMOID,
    TANH,
    activation_set,
)


def test_activation_set_has_one_bit_per_activation_and_none_for_identity():
    assert activation_set([IDENTITY]) == 0
    assert activation_set([RELU, RELU, IDENTITY]) == 1 << RELU
    assert activation_set([TANH, SIGMOID]) == (1 << TANH) | (1 << SIGMOID)


def _kernel(loss, activations, rule=OPT_ADAM, weighted=False, dropout=False):
    return K.train_batches_for(loss, activation_set(activations), rule, weighted, dropout)


def test_one_kernel_per_loss_and_per_set_of_activations():
    relu = _kernel(CROSS_ENTROPY, [RELU, IDENTITY])
    # A kernel holds exactly the network's activations (identity is none)...
    assert _kernel(CROSS_ENTROPY, [RELU]) is relu
    assert _kernel(CROSS_ENTROPY, [SIGMOID, RELU]) is _kernel(CROSS_ENTROPY, [RELU, SIGMOID])
    # ...so every other set has a kernel of its own.
    sets = ([LEAKY_RELU], [IDENTITY], [RELU, LEAKY_RELU], [TANH], [SIGMOID], [SIGMOID, RELU])
    kernels = [relu] + [_kernel(CROSS_ENTROPY, codes) for codes in sets]
    assert len({id(kernel) for kernel in kernels}) == len(sets) + 1
    assert _kernel(MSE, [RELU]) is not relu
    assert _kernel(BINARY_CROSS_ENTROPY, [RELU]) is not _kernel(MSE, [RELU])


def test_one_kernel_per_update_rule_weighting_and_dropout():
    adam = _kernel(CROSS_ENTROPY, [RELU])
    assert _kernel(CROSS_ENTROPY, [RELU], OPT_ADAM, False, False) is adam
    kernels = {_kernel(CROSS_ENTROPY, [RELU], rule, weighted, dropout)
               for rule in (OPT_SGD, OPT_RMSPROP, OPT_ADAM) for weighted in (False, True)
               for dropout in (False, True)}
    assert len(kernels) == 12
    # The column shares of a wide layer are compiled only into a kernel that may need them.
    assert K.train_batches_for(CROSS_ENTROPY, activation_set([RELU]), OPT_ADAM, False, False,
                               columns=True) is not adam


# In a fresh process with an empty Numba cache (formulas loaded from a cache would show no
# compiled signatures even when a kernel holds them): which per-element formulas were compiled
# by a first fit of each kind.
_PROBE = """
import json, sys
import numpy as np
import fastmlp
from fastmlp.backends import _formulas as F
loss, activation, optimizer, weighted = sys.argv[1:5]
rng = np.random.default_rng(0)
X = rng.random((64, 5), dtype=np.float32)
y = rng.integers(0, 3, 64) if loss == "cross_entropy" else rng.random((64, 3), dtype=np.float32)
layer = {"relu": fastmlp.ReLU, "tanh": fastmlp.Tanh}[activation]()
model = fastmlp.Sequential([fastmlp.Dense(5, 4), layer, fastmlp.Dense(4, 3)], loss=loss, seed=0)
import warnings
warnings.simplefilter("ignore")  # whether 64 random rows are learned is beside the point
model.fit(X, y, epochs=1, batch_size=16, verbose=0, optimizer=optimizer,
          sample_weight=rng.random(64) if weighted == "weighted" else None)
compiled = {name: bool(getattr(F, name).signatures)
            for name in ("softmax_row", "add_squared_errors", "bce_element", "sgd_element",
                         "rmsprop_element", "adam_element", "weight_sum")}
print(json.dumps(compiled))
"""


def _compiled_by_first_fit(tmp_path, loss, activation, optimizer="adam", weighted=""):
    done = subprocess.run([sys.executable, "-c", _PROBE, loss, activation, optimizer, weighted],
                          check=True, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)})
    compiled = json.loads(done.stdout.strip().splitlines()[-1])
    return {name for name, done in compiled.items() if done}


def test_a_first_fit_compiles_its_own_loss_rule_and_weighting_only(tmp_path):
    assert (_compiled_by_first_fit(tmp_path / "a", "cross_entropy", "relu")
            == {"softmax_row", "adam_element"})
    assert (_compiled_by_first_fit(tmp_path / "b", "mse", "tanh", "sgd", "weighted")
            == {"add_squared_errors", "sgd_element", "weight_sum"})
    assert (_compiled_by_first_fit(tmp_path / "c", "binary_cross_entropy", "relu", "rmsprop")
            == {"bce_element", "rmsprop_element"})
