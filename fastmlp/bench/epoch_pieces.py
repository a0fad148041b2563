"""One training epoch taken apart: its GEMMs, and the work around them, each run on its own.

:func:`epoch_operands` lays out the buffers of an epoch of a ReLU network with softmax
cross-entropy and Adam (the shapes the fused kernel works on: batch-first activations,
``(n_in, n_out)`` weights). :func:`piece_runners` returns, per piece, a function that does one
epoch's worth of that piece and nothing else:

- the GEMMs through NumPy's ``np.dot`` into preallocated outputs (forward products, weight
  gradients, input gradients below the first layer), one Python call per product;
- the same GEMMs as the fused kernel issues them (its ``matmul``: the same BLAS called from
  ``@njit`` with transpose flags);
- the gather of shuffled rows (prefetching as the kernel does), bias + ReLU, softmax
  cross-entropy forward and backward, the ReLU derivative with the bias gradient, and an Adam
  pass over every parameter, each a small jitted loop over the epoch's steps.

These are stand-ins for the cost of each piece, not the library's kernels: they do the same
work on the same shapes, so "epoch minus the pieces" is what calls, hand-offs and cache
effects cost.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np

from .. import _huge_pages as huge_pages
from ..backends._blas import matmul
from ..backends._prefetch import GATHER_AHEAD, prefetch_row_start
from ..backends._train_steps import copy_row

# The error model of the library's kernels: "python" would test every division for zero.
_jit = numba.njit(cache=True, nogil=True, error_model="numpy")


@dataclass
class BatchBuffers:
    """Per layer ``l`` (``n_l -> n_{l+1}``) at one batch size ``B``.

    Attributes
    ----------
    inputs : tuple of (B, n_l) float32 arrays
        What layer ``l`` multiplies: the gathered batch for ``l = 0``, else activations.
    z, d : tuple of (B, n_{l+1}) float32 arrays
        Pre-activations, and the gradient with respect to them.
    """

    inputs: tuple
    z: tuple
    d: tuple


def epoch_operands(sizes, n, batch, seed=0):
    """Buffers, parameters and a shuffled order for one epoch of ``n`` rows.

    Parameters
    ----------
    sizes : tuple of int
        Layer widths, input first.
    n : int
        Rows in the epoch; ``n // batch`` full batches, then one of ``n % batch`` rows if any.
    batch : int
    seed : int

    Returns
    -------
    dict
        ``X (n, sizes[0])``, ``y (n,)``, ``order (n,)``, ``W`` / ``gW`` (tuples of
        ``(n_l, n_{l+1})``), ``b`` / ``gb`` (tuples of ``(n_{l+1},)``), the flat ``theta``,
        ``grad``, ``m``, ``v`` (``(params,)``), and
        ``batches``: a list of ``(rows, steps, BatchBuffers)``.
    """
    rng = np.random.default_rng(seed)

    def normal(*shape, scale=1.0):  # small normal values: no denormals, no overflow
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    pairs = list(zip(sizes[:-1], sizes[1:]))
    params = sum(a * b + b for a, b in pairs)
    ops = {"X": rng.random((n, sizes[0]), dtype=np.float32),
           "y": rng.integers(0, sizes[-1], n), "order": rng.permutation(n),
           "W": tuple(normal(a, b, scale=math.sqrt(2 / a)) for a, b in pairs),
           "gW": tuple(np.zeros((a, b), np.float32) for a, b in pairs),
           "b": tuple(normal(b, scale=0.01) for _, b in pairs),
           "gb": tuple(np.zeros(b, np.float32) for _, b in pairs),
           # The flat vectors on huge pages when large, as the fused kernel's are.
           "theta": huge_pages.copy(normal(params, scale=0.05)),
           "grad": huge_pages.copy(normal(params, scale=1e-3)),
           "m": huge_pages.zeros(params, np.float32), "v": huge_pages.zeros(params, np.float32),
           "batches": []}
    for rows, steps in ((batch, n // batch), (n % batch, 1 if n % batch else 0)):
        if steps:
            buffers = BatchBuffers(inputs=tuple(normal(rows, a) for a, _ in pairs),
                                   z=tuple(normal(rows, b) for _, b in pairs),
                                   d=tuple(normal(rows, b, scale=1e-3) for _, b in pairs))
            ops["batches"].append((rows, steps, buffers))
    return ops


# --------------------------------------------------------------------------- GEMMs


def _numpy_products(ops, group):
    """``(a, b, out)`` per step for one group of products, every batch size."""
    out = []
    for _, steps, buf in ops["batches"]:
        calls = []
        layers = list(enumerate(ops["W"]))
        # Backward products run from the top layer down, as backpropagation does.
        for l, W in layers if group == "forward" else layers[::-1]:  # noqa: E741
            if group == "forward":
                calls.append((buf.inputs[l], W, buf.z[l]))
            elif group == "weight":
                calls.append((buf.inputs[l].T, buf.d[l], ops["gW"][l]))
            elif l > 0:  # input gradients: not below the first layer
                calls.append((buf.d[l], W.T, buf.d[l - 1]))
        out.append((steps, calls))
    return out


def _run_numpy(products):
    for steps, calls in products:
        for _ in range(steps):
            for a, b, c in calls:
                np.dot(a, b, out=c)


@_jit
def _numba_gemms(inputs, W, z, d, gW, group, steps):
    layers = len(W)
    for _ in range(steps):
        for i in range(layers):
            l = i if group == 0 else layers - 1 - i  # noqa: E741 - backward runs top-down
            if group == 0:
                matmul(inputs[l], False, W[l], False, z[l])
            elif group == 1:
                matmul(inputs[l], True, d[l], False, gW[l])
            elif l > 0:
                matmul(d[l], False, W[l], True, d[l - 1])


# --------------------------------------------------------------------------- the rest


@_jit
def _gather(X, y, order, start, rows, steps, xb, yb):
    flat, n_in = X.reshape(-1), X.shape[1]
    for first in range(start, start + steps * rows, rows):
        for i in range(-GATHER_AHEAD, rows):  # as the fused kernel's gather goes
            if i + GATHER_AHEAD < rows:
                prefetch_row_start(flat, order[first + i + GATHER_AHEAD] * n_in)
            if i >= 0:
                row = order[first + i]
                copy_row(X[row], xb[i])  # the fused kernel's own row copy
                yb[i] = y[row]


@_jit
def _bias_relu(z, b, a, relu, steps):
    for _ in range(steps):
        n, m = z.shape
        for i in range(n):
            for j in range(m):
                v = z[i, j] + b[j]
                z[i, j] = v
                if relu:
                    a[i, j] = v if v > 0 else np.float32(0)


@_jit
def _softmax_xent(logits, y, d, steps):
    total = 0.0
    n, k = logits.shape
    for _ in range(steps):
        for i in range(n):
            top = logits[i, 0]
            for j in range(1, k):
                top = max(top, logits[i, j])
            s = np.float32(0)
            for j in range(k):
                e = np.exp(logits[i, j] - top)
                d[i, j] = e
                s += e
            for j in range(k):
                d[i, j] = d[i, j] / s / np.float32(n)
            d[i, y[i] % k] -= np.float32(1.0 / n)
            total += math.log(s) - (logits[i, y[i] % k] - top)
    return total


@_jit
def _relu_grad_bias_grad(d, z, gb, relu, steps):
    for _ in range(steps):
        gb[:] = 0
        n, m = d.shape
        for i in range(n):
            for j in range(m):
                g = d[i, j]
                if relu and not z[i, j] > 0:
                    g = np.float32(0)
                d[i, j] = g
                gb[j] += g


@_jit
def adam_update(theta, grad, m, v, step):
    """One Adam update (lr 1e-3, float32) of ``theta, m, v`` in place, as the fused kernel
    does it (read 4 vectors, write 3). ``step`` counts from 1."""
    b1, b2, eps = np.float32(0.9), np.float32(0.999), np.float32(1e-8)
    bc2 = np.float32(math.sqrt(1.0 - 0.999 ** step))
    size = np.float32(1e-3 / (1.0 - 0.9 ** step))
    for i in range(theta.shape[0]):
        p, g, mi, vi = theta[i], grad[i], m[i], v[i]
        mi = b1 * mi + (np.float32(1) - b1) * g
        vi = b2 * vi + (np.float32(1) - b2) * g * g
        m[i], v[i] = mi, vi
        theta[i] = p - size * mi / (math.sqrt(vi) / bc2 + eps)


@_jit
def adam_keeping_backups(theta, grad, m, v, backup, m_backup, v_backup, step):
    """One Adam update as the fused kernel did it until it kept its backups once per call: the
    values before the update copied into the backups in the same pass (read 4 vectors, write
    6). ``step`` counts from 1. Used by ``benchmarks/update_pass.py`` and
    ``benchmarks/update_interplay.py``."""
    b1, b2, eps = np.float32(0.9), np.float32(0.999), np.float32(1e-8)
    bc2 = np.float32(math.sqrt(1.0 - 0.999 ** step))
    size = np.float32(1e-3 / (1.0 - 0.9 ** step))
    for i in range(theta.shape[0]):
        p, g, mi, vi = theta[i], grad[i], m[i], v[i]
        backup[i], m_backup[i], v_backup[i] = p, mi, vi
        mi = b1 * mi + (np.float32(1) - b1) * g
        vi = b2 * vi + (np.float32(1) - b2) * g * g
        m[i], v[i] = mi, vi
        theta[i] = p - size * mi / (math.sqrt(vi) / bc2 + eps)


@_jit
def _adam(theta, grad, m, v, steps):
    for step in range(1, steps + 1):
        adam_update(theta, grad, m, v, step)


def piece_runners(ops):
    """One function per piece, each doing one epoch's worth of that piece.

    Parameters
    ----------
    ops : dict
        From :func:`epoch_operands`.

    Returns
    -------
    dict of str to callable
        Keys: ``gemm forward``, ``gemm weight``, ``gemm input`` (NumPy's ``np.dot``),
        ``numba forward``, ``numba weight``, ``numba input`` (the fused kernel's ``matmul``),
        ``gather``, ``bias + activation``, ``softmax cross-entropy``,
        ``activation grad + bias grad``, ``adam``.
    """
    runners = {}
    for group in ("forward", "weight", "input"):
        products = _numpy_products(ops, group)
        runners[f"gemm {group}"] = lambda p=products: _run_numpy(p)
    hidden = len(ops["W"]) - 1

    def each_batch(fn):
        def run():
            start = 0
            for rows, steps, buf in ops["batches"]:
                fn(rows, steps, buf, start)
                start += rows * steps
        return run

    for code, group in enumerate(("forward", "weight", "input")):
        runners[f"numba {group}"] = each_batch(
            lambda rows, steps, buf, start, code=code: _numba_gemms(
                buf.inputs, ops["W"], buf.z, buf.d, ops["gW"], code, steps))
    yb = np.zeros(max(rows for rows, _, _ in ops["batches"]), dtype=np.int64)
    runners["gather"] = each_batch(lambda rows, steps, buf, start: _gather(
        ops["X"], ops["y"], ops["order"], start, rows, steps, buf.inputs[0], yb[:rows]))
    def bias_activation(rows, steps, buf, start):
        for layer in range(hidden + 1):
            relu = layer < hidden  # the last layer's output goes to the loss as it is
            _bias_relu(buf.z[layer], ops["b"][layer],
                       buf.inputs[layer + 1] if relu else buf.z[layer], relu, steps)

    def activation_grads(rows, steps, buf, start):
        for layer in range(hidden + 1):
            _relu_grad_bias_grad(buf.d[layer], buf.z[layer], ops["gb"][layer], layer < hidden,
                                 steps)

    runners["bias + activation"] = each_batch(bias_activation)
    runners["softmax cross-entropy"] = each_batch(lambda rows, steps, buf, start: _softmax_xent(
        buf.z[-1], yb[:rows], buf.d[-1], steps))
    runners["activation grad + bias grad"] = each_batch(activation_grads)
    steps = sum(steps for _, steps, _ in ops["batches"])
    runners["adam"] = lambda: _adam(ops["theta"], ops["grad"], ops["m"], ops["v"], steps)
    return runners
