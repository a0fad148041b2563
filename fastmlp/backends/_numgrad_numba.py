"""Fast central-difference gradients (Numba): the reference's numbers, recomputing only what moves.

Every coordinate is still ``(L(θ + h) - L(θ - h)) / 2h`` with both losses true evaluations at
the perturbed parameters. What is skipped is work whose result is known to be unchanged:

- a weight ``W_l[i, j]`` leaves every layer below ``l`` alone and moves only column ``j`` of
  ``z_l``, by ``±h * a_{l-1}[:, i]``; samples with ``a_{l-1}[s, i] == 0`` do not move at all;
- a moved activation reaches the layer above as a rank-1 change of that sample's row, and each
  layer further up changes by the rows of the units whose activation actually changed;
- the loss difference is summed per sample (``ℓ_s⁺ - ℓ_s⁻`` over the moved samples), so the
  untouched samples contribute exactly zero instead of rounding noise from two full sums.

Accuracy: each coordinate is a difference of two float64 losses, so, like the reference, it
carries an absolute rounding error of order ``ε·L/h`` (ε = 2.2e-16). Measured against the same
central difference in extended precision this path's error is below the reference's
(see ``tests/backends/test_numgrad.py``); the two agree to about that floor, which is 1e-9
relative only for coordinates larger than ``ε·L/(h·1e-9)``.

The kernels are in ``_numgrad_kernels``; this wrapper validates, runs the unperturbed forward
pass, packs the network into flat arrays and allocates all scratch up front.
"""

from __future__ import annotations

import numba
import numpy as np

from . import _numgrad_kernels as K
from ._numgrad_spec import NumericalGradient, check_spec

_CODES = {
    "identity": K.IDENTITY,
    "relu": K.RELU,
    "leaky_relu": K.LEAKY_RELU,
    "sigmoid": K.SIGMOID,
    "tanh": K.TANH,
}
#: Consecutive parameters handed to a thread at a time: long enough to reuse the input row
#: of one weight row, short enough that round-robin blocks balance the layers between threads.
_BLOCK = 64


def _offsets(sizes):
    """Start of each block in a concatenation, plus the total; uint64 like all kernel indices."""
    return np.concatenate(([0], np.cumsum(sizes))).astype(np.uint64)


def numerical_gradient(X, target, weights, biases, activations, alphas, loss, eps):
    """Central-difference gradient of the loss over every weight and bias (float64).

    Same definition and same numbers as the NumPy reference
    (``fastmlp.backends.numpy_ops.numerical_gradient``), computed in parallel over the
    parameters and re-evaluating only the samples and units a perturbation can move. The
    inputs are never modified.

    Parameters and return value are those of the reference, documented there: the batch
    ``X (n, n_in)``, the targets, per layer ``weights (n_l, n_{l+1})``, ``biases
    (n_{l+1},)``, activation names and leaky slopes, the loss name and the step ``h``; it
    returns a :class:`NumericalGradient` ``(grads_W, grads_b, kinks_W, kinks_b)``.
    """
    check_spec(X, target, weights, biases, activations, alphas, loss, eps)
    n = np.shape(X)[0]
    a = np.ascontiguousarray(X, dtype=np.float64)
    Ws = [np.ascontiguousarray(W, dtype=np.float64) for W in weights]
    bs = [np.ascontiguousarray(b, dtype=np.float64) for b in biases]
    codes = np.array([_CODES[name] for name in activations], dtype=np.int64)
    alpha_arr = np.array(alphas, dtype=np.float64)
    dims = np.array([Ws[0].shape[0]] + [W.shape[1] for W in Ws], dtype=np.uint64)

    # The unperturbed pass, with the same activation code the kernels use on perturbed values,
    # so an activation that does not move compares exactly equal to its stored value.
    inputs_t, zs, zs_t, acts = [], [], [], []
    for W, b, code, alpha in zip(Ws, bs, codes, alpha_arr):
        inputs_t.append(a.T.ravel())
        z = np.empty((n, W.shape[1]))
        K.affine_into(a, W, b, z)
        out = np.empty_like(z)
        K.activate_into(z, code, alpha, out)
        zs.append(z.ravel())
        zs_t.append(z.T.ravel())
        acts.append(out.ravel())
        a = out
    k = a.shape[1]
    if loss == "cross_entropy":
        labels = np.ascontiguousarray(target, dtype=np.int64)
        tgt = np.zeros(0)
        loss_code, scale = K.CROSS_ENTROPY, float(n)
    else:
        labels = np.zeros(n, dtype=np.int64)
        tgt = np.ascontiguousarray(target, dtype=np.float64).ravel()
        loss_code = K.BINARY_CROSS_ENTROPY if loss == "binary_cross_entropy" else K.MSE
        scale = float(n * k)
    ell = np.empty(n)
    K.sample_losses(a, labels, tgt, loss_code, ell)

    Wf, bf = np.concatenate([W.ravel() for W in Ws]), np.concatenate(bs)
    net = (Wf, _offsets([W.size for W in Ws]), bf, _offsets([b.size for b in bs]), dims, codes,
           alpha_arr)
    zof = _offsets([z.size for z in zs])
    tof = _offsets([t.size for t in inputs_t])
    base = (np.concatenate(zs), np.concatenate(acts), zof, np.concatenate(zs_t),
            np.concatenate(inputs_t), tof, ell)

    ntasks = numba.get_num_threads()
    # Rows padded to whole cache lines plus one spare line, so no two tasks write one line.
    width = -(-int(dims[1:].max()) // 8) * 8 + 8
    scratch = np.empty((ntasks, 3, width))
    grad = np.empty(Wf.size + bf.size)
    kink = np.zeros(grad.size, dtype=np.bool_)
    K.numgrad_all(net, base, (labels, tgt, loss_code, scale), float(eps), ntasks, _BLOCK,
                  scratch, grad, kink)

    grads, masks, start = [], [], 0
    for P in Ws + bs:
        grads.append(grad[start : start + P.size].reshape(P.shape))
        masks.append(kink[start : start + P.size].reshape(P.shape))
        start += P.size
    nl = len(Ws)
    return NumericalGradient(grads[:nl], grads[nl:], masks[:nl], masks[nl:])
