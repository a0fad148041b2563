"""Each backend op on the shapes it meets inside each benchmark network.

The arguments come from the op table the backend tests use (:mod:`fastmlp.backends.op_cases`),
in float32, at the shapes of :data:`fastmlp.bench.sizes.CASES`: a batch of ``CASES[size].batch``
rows (128, or the full batch of the tiny networks). Dense ops run per layer; activations on the
first hidden layer's ``(batch, width)``; softmax cross-entropy on the logits; Adam over the whole
flat parameter vector, as ``fit`` updates it. Run
``pytest benchmarks/test_bench_kernels.py --benchmark-group-by=func,param:size`` to see numpy and
numba side by side per op and size.
"""

import numpy as np
import pytest
from cases import CASES, backend, size, size_and_layer

from fastmlp.backends import get_backend, op_cases

ACTIVATIONS = ["relu", "leaky_relu", "sigmoid", "tanh"]
activation = pytest.mark.parametrize("activation", ACTIVATIONS, ids=lambda a: f"act={a}")


def _args(name, n, p, q):
    """The table's float32 arguments for op ``name`` (batch ``n``, widths ``p`` and ``q``)."""
    return op_cases.build(name, np.float32, n, p, q, seed=0)


def _dense_args(name, size, layer):
    n_in, n_out = (int(w) for w in layer.split("x"))
    return _args(name, CASES[size].batch, n_in, n_out)


def _hidden_args(name, size):
    """Arguments of an elementwise op on the first hidden layer's ``(batch, width)``."""
    return _args(name, CASES[size].batch, CASES[size].sizes[1], 1)


@backend
@size_and_layer
def test_dense_forward(timed, size, layer, backend):
    timed(get_backend(backend).dense_forward, **_dense_args("dense_forward", size, layer))


@backend
@size_and_layer
def test_dense_backward(timed, size, layer, backend):
    """The first layer skips the input gradient, as training does."""
    kwargs = _dense_args("dense_backward", size, layer)
    widths = CASES[size].sizes
    if layer == f"{widths[0]}x{widths[1]}":
        kwargs["dx"] = None
    timed(get_backend(backend).dense_backward, **kwargs)


@backend
@activation
@size
def test_activation_forward(timed, size, activation, backend):
    name = f"{activation}_forward"
    timed(getattr(get_backend(backend), name), **_hidden_args(name, size))


@backend
@activation
@size
def test_activation_backward(timed, size, activation, backend):
    """ReLU-like backward ops read the pre-activation, sigmoid and tanh their output."""
    name = f"{activation}_backward"
    timed(getattr(get_backend(backend), name), **_hidden_args(name, size))


@backend
@size
def test_softmax_xent_forward_backward(timed, size, backend):
    ops = get_backend(backend)
    B, k = CASES[size].batch, CASES[size].sizes[-1]
    forward = _args("softmax_xent", B, 1, k)
    backward = _args("softmax_xent_backward", B, 1, k)

    def step():
        loss = ops.softmax_xent(**forward)
        ops.softmax_xent_backward(**backward)
        return loss

    timed(step)


@backend
@size
def test_adam_update(timed, size, backend):
    """One update of every parameter, with the hyperparameters of a default ``Adam()``."""
    widths = CASES[size].sizes
    n = sum(a * b + b for a, b in zip(widths[:-1], widths[1:]))
    kwargs = {k: v.reshape(-1) if isinstance(v, np.ndarray) else v
              for k, v in _args("adam_update", 1, 1, n).items()}
    kwargs.update(step=10, weight_decay=0.0, decoupled=False)
    timed(get_backend(backend).adam_update, **kwargs)
