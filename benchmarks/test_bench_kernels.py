"""Each backend op on the shapes it meets inside each benchmark network.

Shapes: a batch of ``CASES[size].batch`` rows (128, or the full batch of the tiny networks).
Dense ops run per layer; activations on the first hidden layer's ``(batch, width)``; softmax
cross-entropy on the logits; Adam over the whole flat parameter vector, as ``fit`` updates it.
Run ``pytest benchmarks/test_bench_kernels.py --benchmark-group-by=func,param:size`` to see
numpy and numba side by side per op and size.
"""

import numpy as np
import pytest
from cases import CASES, backend, size, size_and_layer

from fastmlp.backends import get_backend

ACTIVATIONS = ["relu", "leaky_relu", "sigmoid", "tanh"]
activation = pytest.mark.parametrize("activation", ACTIVATIONS, ids=lambda a: f"act={a}")


def _array(rng, *shape):
    return rng.standard_normal(shape, dtype=np.float32)


def _dense_arrays(rng, size, layer):
    n_in, n_out = (int(w) for w in layer.split("x"))
    B = CASES[size].batch
    return (_array(rng, B, n_in), _array(rng, n_in, n_out) * np.float32(0.05),
            _array(rng, n_out), n_in, n_out, B)


@backend
@size_and_layer
def test_dense_forward(timed, rng, size, layer, backend):
    ops = get_backend(backend)
    x, W, b, _, n_out, B = _dense_arrays(rng, size, layer)
    timed(ops.dense_forward, x, W, b, np.empty((B, n_out), dtype=np.float32))


@backend
@size_and_layer
def test_dense_backward(timed, rng, size, layer, backend):
    """The first layer skips the input gradient, as training does."""
    ops = get_backend(backend)
    x, W, _, n_in, n_out, B = _dense_arrays(rng, size, layer)
    widths = CASES[size].sizes
    dx = None if layer == f"{widths[0]}x{widths[1]}" else np.empty_like(x)
    timed(ops.dense_backward, x, W, _array(rng, B, n_out), dx, np.empty_like(W),
          np.empty(n_out, dtype=np.float32))


def _hidden(rng, size):
    return _array(rng, CASES[size].batch, CASES[size].sizes[1])


@backend
@activation
@size
def test_activation_forward(timed, rng, size, activation, backend):
    fn = getattr(get_backend(backend), f"{activation}_forward")
    z = _hidden(rng, size)
    args = (z, 0.01) if activation == "leaky_relu" else (z,)
    timed(fn, *args, np.empty_like(z))


@backend
@activation
@size
def test_activation_backward(timed, rng, size, activation, backend):
    """ReLU-like backward ops read the pre-activation, sigmoid and tanh their output."""
    ops = get_backend(backend)
    z = _hidden(rng, size)
    if activation in ("sigmoid", "tanh"):
        a = np.empty_like(z)
        getattr(ops, f"{activation}_forward")(z, a)
        z = a
    args = (z, 0.01) if activation == "leaky_relu" else (z,)
    timed(getattr(ops, f"{activation}_backward"), *args, _hidden(rng, size), np.empty_like(z))


@backend
@size
def test_softmax_xent_forward_backward(timed, rng, size, backend):
    ops = get_backend(backend)
    B, k = CASES[size].batch, CASES[size].sizes[-1]
    logits = _array(rng, B, k)
    y = rng.integers(0, k, B)
    probs, dlogits = np.empty_like(logits), np.empty_like(logits)

    def step():
        loss = ops.softmax_xent(logits, y, probs)
        ops.softmax_xent_backward(probs, y, dlogits)
        return loss

    timed(step)


@backend
@size
def test_adam_update(timed, rng, size, backend):
    ops = get_backend(backend)
    widths = CASES[size].sizes
    n = sum(a * b + b for a, b in zip(widths[:-1], widths[1:]))
    param, grad = _array(rng, n), _array(rng, n) * np.float32(0.01)
    m, v = np.zeros_like(param), np.zeros_like(param)
    timed(ops.adam_update, param, grad, m, v, 1e-3, 0.9, 0.999, 1e-8, 10, 0.0, False)
