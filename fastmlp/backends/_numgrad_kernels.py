"""Numba kernels behind ``_numgrad_numba``: central differences that recompute only what moves.

The network arrives packed into flat float64 arrays with uint64 offset tables, so one compiled
kernel serves every depth (layer ``l`` maps ``dims[l]`` units to ``dims[l + 1]``):

- ``net = (Wf, wof, bf, bof, dims, codes, alphas)``: every ``W_l`` (row-major) and ``b_l``
  concatenated, layer ``l`` starting at ``wof[l]`` / ``bof[l]``; activation codes and slopes.
- ``base = (Zr, Ar, zof, ZT, T, tof, ell)``: the unperturbed pass. ``Zr`` / ``Ar`` hold the
  pre-activations / activations as ``(n, dims[l + 1])`` row-major blocks at ``zof[l]``; ``ZT``
  the same pre-activations transposed; ``T`` each layer's input transposed, ``(dims[l], n)``
  blocks at ``tof[l]`` (``X.T`` first), so the samples that parameter ``W_l[i, j]`` touches
  and their ``z_l[:, j]``, ``a_l[:, j]`` are contiguous. ``ell`` holds the per-sample losses.
- ``target = (labels, tgt, loss_code, scale)``: ``scale`` is ``n`` (cross-entropy) or ``n * k``
  (MSE, binary cross-entropy).

Indices are uint64 on purpose: Numba wraps negative int64 indices around, and that check turns
each row loop below into gathers instead of vector loads (about 5x slower on these loops).
Nothing here validates or allocates; the wrapper in ``_numgrad_numba`` does both.
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from . import _formulas as F
from ._jit import jit, jit_parallel
from .codes import (  # noqa: F401 - MSE is read through this module (K.MSE)
    BINARY_CROSS_ENTROPY,
    CROSS_ENTROPY,
    IDENTITY,
    LEAKY_RELU,
    MSE,
    RELU,
    SIGMOID,
    TANH,
)


@jit
def act(z, code, alpha):
    """One activation value; the same formulas as the reference's ``activate``."""
    if code == RELU:
        return z if z > 0 else 0.0
    if code == LEAKY_RELU:
        return z if z > 0 else alpha * z
    if code == SIGMOID:
        e = math.exp(-abs(z))  # never overflows; equals 1 / (1 + exp(-z)) on both branches
        return (1.0 if z >= 0 else e) / (1.0 + e)
    if code == TANH:
        return math.tanh(z)
    return z


@jit
def activate_into(z, code, alpha, out):
    """``out = act(z)`` elementwise for the unperturbed pass; ``z``, ``out`` are ``(n, m)``."""
    for s in range(z.shape[0]):
        for u in range(z.shape[1]):
            out[s, u] = act(z[s, u], code, alpha)


@jit
def activate_row(z, w, code, alpha, Zr, Ar, row, out, delta):
    """``out = act(z)`` and ``delta = out - Ar[row:]`` over ``w`` units of one sample's layer.

    Returns ``(kinked, changed)``: whether a relu/leaky_relu unit is on the other side of zero
    than ``Zr[row:]``, and how many units changed. One loop per activation, so that the
    compiler can vectorise each.
    """
    flips = 0
    if code == RELU:
        for u in range(w):
            out[u] = z[u] if z[u] > 0 else 0.0
            flips += (z[u] > 0) != (Zr[row + u] > 0)
    elif code == LEAKY_RELU:
        for u in range(w):
            out[u] = z[u] if z[u] > 0 else alpha * z[u]
            flips += (z[u] > 0) != (Zr[row + u] > 0)
    elif code == TANH:
        for u in range(w):
            out[u] = math.tanh(z[u])
    else:
        for u in range(w):
            out[u] = act(z[u], code, alpha)
    changed = 0
    for u in range(w):
        delta[u] = out[u] - Ar[row + u]
        changed += delta[u] != 0.0
    return flips > 0, changed


@jit
def affine_into(a, W, b, out):
    """``out = a @ W + b`` for the unperturbed pass; ``a`` ``(n, p)``, ``W`` ``(p, q)``.

    A plain loop rather than BLAS: OpenBLAS threads keep spinning after a call and would
    compete with the kernel's own threads for the same two cores.
    """
    for s in range(a.shape[0]):
        for v in range(W.shape[1]):
            out[s, v] = b[v]
        for i in range(W.shape[0]):
            x = a[s, i]
            if x != 0.0:
                for v in range(W.shape[1]):
                    out[s, v] += x * W[i, v]


@jit
def sample_loss(out, k, loss_code, label, tgt, toff):
    """Loss of one sample from its output row ``out[:k]`` (not yet divided by n or n*k).

    Cross-entropy: ``log(sum(exp(out - max))) - (out[label] - max)``. MSE: the sum of squared
    differences to ``tgt[toff:toff + k]``. Binary cross-entropy: the sum of the per-output
    sigmoid cross-entropies against ``tgt[toff:toff + k]``.
    """
    if loss_code == BINARY_CROSS_ENTROPY:
        acc = 0.0
        for c in range(k):
            acc += F.bce_element(out[c], tgt[toff + c])
        return acc
    if loss_code == CROSS_ENTROPY:
        m = out[0]
        for c in range(k):
            m = max(m, out[c])
        total = 0.0
        for c in range(k):
            total += math.exp(out[c] - m)
        return math.log(total) - (out[label] - m)
    acc = 0.0
    for c in range(k):
        d = out[c] - tgt[toff + c]
        acc += d * d
    return acc


@jit
def sample_losses(out, labels, tgt, loss_code, ell):
    """Per-sample losses ``ell`` ``(n,)`` of the network output ``out`` ``(n, k)``."""
    k = np.uint64(out.shape[1])
    for s in range(np.uint64(out.shape[0])):
        ell[s] = sample_loss(out[s], k, loss_code, labels[s], tgt, s * k)


@jit
def central_differences(p_start, p_stop, eps, net, base, target, bufs, grad, kink):
    """Gradient and kink flag of flat parameters ``p_start <= p < p_stop`` (weights, then biases).

    The per-sample work sits in this one function on purpose: splitting the walk up the layers
    into a helper measured 15-30% slower (the array arguments are re-packed on every call and
    the helper is not inlined), and unpacking the tuples per sample costs reference-count
    updates that threads sharing the arrays turn into cache-line ping-pong.
    """
    Wf, wof, bf, bof, dims, codes, alphas = net
    Zr, Ar, zof, ZT, T, tof, ell = base
    labels, tgt, loss_code, scale = target
    zbuf, abuf, dbuf = bufs
    n = np.uint64(ell.shape[0])
    n_w = np.uint64(Wf.shape[0])
    last = codes.shape[0] - 1
    k = dims[last + 1]
    for p in range(p_start, p_stop):
        is_bias = p >= n_w
        layer = 0
        if is_bias:
            while p - n_w >= bof[layer + 1]:
                layer += 1
            i, j = np.uint64(0), p - n_w - bof[layer]
            theta = bf[p - n_w]
        else:
            while p >= wof[layer + 1]:
                layer += 1
            i, j = divmod(p - wof[layer], dims[layer + 1])
            theta = Wf[p]
        code, alpha = codes[layer], alphas[layer]
        kinks_here = code == RELU or code == LEAKY_RELU
        xcol = tof[layer] + i * n  # the layer's input column a[:, i] (a bias' input is 1)
        zcol = zof[layer] + j * n  # its pre-activation column z[:, j] ...
        acol = tof[layer + 1] + j * n if layer < last else np.uint64(0)  # ... and a[:, j]
        # The exact steps the reference takes when it stores θ ± h in a float64 parameter.
        step_plus = (theta + eps) - theta
        step_minus = (theta - eps) - theta
        acc = 0.0
        kinked = False
        for s in range(n):
            x = 1.0 if is_bias else T[xcol + s]
            if x == 0.0:
                continue  # z[s, :] does not move: both losses are the unperturbed one
            z_old = ZT[zcol + s]
            value_plus = 0.0
            # Sum ℓ_s(θ + h) - ℓ_s(θ - h) per sample rather than subtracting two full losses:
            # unchanged samples add exactly nothing, and no rounding of a large total enters.
            for side in range(2):
                z_new = z_old + (step_plus if side == 0 else step_minus) * x
                if kinks_here and (z_new > 0) != (z_old > 0):
                    kinked = True
                a_new = act(z_new, code, alpha)
                scored = True  # False: the sample's output is unchanged, its loss is ell[s]
                out = abuf
                if layer == last:
                    row = zof[layer] + s * k
                    for c in range(k):
                        abuf[c] = Ar[row + c]
                    abuf[j] = a_new
                elif a_new == T[acol + s]:
                    scored = False
                else:
                    # The layer above moves by the rank-1 term (a_new - a_old) * W[j, :] ...
                    da = a_new - T[acol + s]
                    m = layer + 1
                    w = dims[m + 1]
                    row = zof[m] + s * w
                    wrow = wof[m] + j * w
                    for v in range(w):
                        zbuf[v] = Zr[row + v] + da * Wf[wrow + v]
                    while True:
                        if m == last and codes[m] == IDENTITY:
                            out = zbuf  # the usual output layer: score the logits as they are
                            break
                        kinked_here, changed = activate_row(
                            zbuf, w, codes[m], alphas[m], Zr, Ar, row, abuf, dbuf
                        )
                        kinked = kinked or kinked_here
                        if m == last:
                            break
                        if changed == 0:
                            scored = False
                            break
                        # ... and each further layer by the W rows of the units that changed;
                        # a relu that stays off costs nothing.
                        w_next = dims[m + 2]
                        row = zof[m + 1] + s * w_next
                        for v in range(w_next):
                            zbuf[v] = Zr[row + v]
                        for u in range(w):
                            if dbuf[u] != 0.0:
                                wrow = wof[m + 1] + u * w_next
                                for v in range(w_next):
                                    zbuf[v] += dbuf[u] * Wf[wrow + v]
                        m += 1
                        w = w_next
                # One call site, so the compiler inlines the loss into this loop.
                value = sample_loss(out, k, loss_code, labels[s], tgt, s * k) if scored else ell[s]
                if side == 0:
                    value_plus = value
                else:
                    acc += value_plus - value
        grad[p] = acc / scale / (2.0 * eps)
        if kinked:  # rare: writing only then keeps threads off each other's cache lines
            kink[p] = True


@jit_parallel
def numgrad_all(net, base, target, eps, ntasks, block, scratch, grad, kink):
    """Fill ``grad`` and ``kink`` (flat, weights then biases) for every parameter.

    Blocks of ``block`` consecutive parameters go round-robin to ``ntasks`` tasks, so each
    thread gets a similar mix of layers; task ``t`` works only in ``scratch[t]``.
    """
    total = grad.shape[0]
    n_blocks = (total + block - 1) // block
    for t in prange(ntasks):
        bufs = (scratch[t, 0], scratch[t, 1], scratch[t, 2])
        for blk in range(t, n_blocks, ntasks):
            start, stop = np.uint64(blk * block), np.uint64(min(total, (blk + 1) * block))
            central_differences(start, stop, eps, net, base, target, bufs, grad, kink)
