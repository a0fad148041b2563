"""The fused kernel is compiled per loss and per kind of activation, and holds nothing else."""

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
    RELU,
    SIGMOID,
    TANH,
    activation_set,
)


def test_activation_set_has_one_bit_per_activation_and_none_for_identity():
    assert activation_set([IDENTITY]) == 0
    assert activation_set([RELU, RELU, IDENTITY]) == 1 << RELU
    assert activation_set([TANH, SIGMOID]) == (1 << TANH) | (1 << SIGMOID)


def test_one_kernel_per_loss_and_per_kind_of_activation():
    relu = K.train_batches_for(CROSS_ENTROPY, activation_set([RELU, IDENTITY]))
    # ReLU, leaky ReLU and identity are cheap to compile: they share a kernel...
    assert K.train_batches_for(CROSS_ENTROPY, activation_set([LEAKY_RELU])) is relu
    assert K.train_batches_for(CROSS_ENTROPY, activation_set([IDENTITY])) is relu
    # ...and sigmoid or tanh get the kernel that has every activation.
    smooth = K.train_batches_for(CROSS_ENTROPY, activation_set([TANH]))
    assert smooth is not relu
    assert K.train_batches_for(CROSS_ENTROPY, activation_set([SIGMOID, RELU])) is smooth
    assert K.train_batches_for(MSE, activation_set([RELU])) is not relu
    assert (K.train_batches_for(BINARY_CROSS_ENTROPY, activation_set([RELU]))
            is not K.train_batches_for(MSE, activation_set([RELU])))


# In a fresh process with an empty Numba cache (formulas loaded from a cache would show no
# compiled signatures even when a kernel holds them): which per-element formulas were compiled
# by a first fit of each kind.
_PROBE = """
import json, sys
import numpy as np
import fastmlp
from fastmlp.backends import _formulas as F
loss, activation = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(0)
X = rng.random((64, 5), dtype=np.float32)
y = rng.integers(0, 3, 64) if loss == "cross_entropy" else rng.random((64, 3), dtype=np.float32)
layer = {"relu": fastmlp.ReLU, "tanh": fastmlp.Tanh}[activation]()
model = fastmlp.Sequential([fastmlp.Dense(5, 4), layer, fastmlp.Dense(4, 3)], loss=loss, seed=0)
import warnings
warnings.simplefilter("ignore")  # whether 64 random rows are learned is beside the point
model.fit(X, y, epochs=1, batch_size=16, verbose=0)
compiled = {name: bool(getattr(F, name).signatures)
            for name in ("softmax_row", "add_squared_errors", "bce_element", "sgd_element")}
print(json.dumps(compiled))
"""


def _compiled_by_first_fit(tmp_path, loss, activation):
    done = subprocess.run([sys.executable, "-c", _PROBE, loss, activation], check=True,
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)})
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_first_fit_compiles_its_own_loss_only(tmp_path):
    cross_entropy = _compiled_by_first_fit(tmp_path / "a", "cross_entropy", "relu")
    assert cross_entropy == {"softmax_row": True, "add_squared_errors": False,
                             "bce_element": False, "sgd_element": True}
    mse = _compiled_by_first_fit(tmp_path / "b", "mse", "tanh")
    assert mse == {"softmax_row": False, "add_squared_errors": True, "bce_element": False,
                   "sgd_element": True}
