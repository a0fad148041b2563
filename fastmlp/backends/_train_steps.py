"""The passes of a fused training step, each one loop around or between the GEMMs.

Used by :mod:`._train_kernel`, which strings them into a step: bias + activation after each
forward product, dropout, the activation derivative before each backward product, the bias
gradient, and the optimizer update over a range of the parameter vector (the losses are in
:mod:`._train_losses`). Every formula comes from :mod:`._formulas`.

The steps are inlined into the kernel at Numba's level (``jit_inline``): each has one call site
there, so inlining costs no retyping, it spares each step its own compiled module (built, then
optimised and linked again into the kernel's), and it lets the kernel's constants (the set
of activations, the update rule) prune the branches inside them.
"""

from __future__ import annotations

import math

import numpy as np

from . import _formulas as F
from ._jit import jit_inline
from ._scalar_math import tanh
from ._views import vector_at
from .codes import (
    LEAKY_RELU,
    LEAKY_RELU_BIT,
    RELU,
    RELU_BIT,
    SIGMOID,
    SIGMOID_BIT,
    TANH,
    TANH_BIT,
)

#: Layout of the float64 ``hyper`` vector of optimizer settings.
(H_MOMENTUM, H_NESTEROV, H_DECAY1, H_DECAY2, H_EPS, H_WEIGHT_DECAY, H_DECOUPLED,
 H_DECAY_BIASES) = range(8)
N_HYPER = 8


@jit_inline
def copy_row(src, dst):
    """``dst[:] = src`` (converted to ``dst``'s dtype): a gathered row.

    A loop over two 1-d views, not over ``X[row * n_in + j]``: that index is not provably
    non-negative, so every element paid Numba's negative-index wrap-around and the loop did
    not vectorise (an epoch's gather of Fashion-MNIST took 2.7x as long). Not a slice
    assignment either, whose broadcasting code is slow to compile."""
    for j in range(dst.shape[0]):
        dst[j] = src[j]


# The passes of the forward and backward pass work on a block of their matrices, the rows
# [r0, r1) by the columns [c0, c1): a member's share of the batch's rows (every column), or of
# a wide layer's columns (every row), when the kernel runs on a team of threads (._team); the
# whole matrix on one thread. The bounds arrive unsigned (:func:`unsigned`): an index from a
# signed range(r0, r1) is not provably non-negative, each access then paid Numba's
# wrap-around check and the loops did not vectorise (7.6x slower, measured); views of each
# share vectorised too but cost a cold start 1.5 s.


@jit_inline
def unsigned(r0, r1, c0, c1):
    """A block's bounds as unsigned integers, for the passes' loops."""
    return np.uint64(r0), np.uint64(r1), np.uint64(c0), np.uint64(c1)


@jit_inline
def add_bias(z, theta, b_off, r0, r1, c0, c1):
    if b_off >= 0:
        b = vector_at(theta, b_off, z.shape[1])  # a view: b[j] vectorises, theta[b_off + j] did not
        for i in range(r0, r1):
            for j in range(c0, c1):
                z[i, j] += b[j]


@jit_inline
def relu_activation(z, a, act, alpha, used, r0, r1, c0, c1):
    """``a = act(z)`` for ReLU or leaky ReLU (``act``, slope ``alpha``).

    The activations come in two functions, ReLU's family and the smooth ones, so a kernel
    whose network has no sigmoid or tanh inlines only this one (inlining copies a whole body:
    a cold start's cost). One loop per activation, with its code a constant, so the branch
    sits outside the inner loop (which then vectorises); ``used`` (the kernel's constant set
    of activations, :func:`.codes.activation_set`) drops the loop of an activation the
    network does not have."""
    if used & RELU_BIT and act == RELU:
        for i in range(r0, r1):
            for j in range(c0, c1):
                a[i, j] = F.relu(z[i, j])
    elif used & LEAKY_RELU_BIT and act == LEAKY_RELU:
        slope = z.dtype.type(alpha)
        for i in range(r0, r1):
            for j in range(c0, c1):
                a[i, j] = F.leaky_relu(z[i, j], slope)


@jit_inline
def smooth_activation(z, a, act, used, r0, r1, c0, c1):
    """``a = act(z)`` for sigmoid or tanh (``act``); each inlined ``exp``/``tanh`` once, and
    only if ``used`` holds it (as :func:`relu_activation`)."""
    if used & SIGMOID_BIT and act == SIGMOID:
        for i in range(r0, r1):
            for j in range(c0, c1):
                a[i, j] = F.sigmoid(z[i, j])
    elif used & TANH_BIT and act == TANH:
        for i in range(r0, r1):
            for j in range(c0, c1):
                a[i, j] = tanh(z[i, j])


@jit_inline
def draw_dropout_mask(mask, p, rng):
    """Inverted dropout's ``mask (B, m)``: each element 0 or ``1 / (1 - p)``.

    One float64 uniform per element, row by row, from ``rng`` (a NumPy Generator whose state
    Numba shares): the same draws, in the same order, as the layer-by-layer Dropout layer.
    One member draws every mask of a step, in layer order, before the forward pass: the
    generator is one sequence."""
    dt = mask.dtype.type
    scale, zero = dt(1.0 / (1.0 - p)), dt(0)
    n, m = mask.shape
    for i in range(n):
        for j in range(m):
            keep = zero
            if rng.random() >= p:
                keep = scale
            mask[i, j] = keep


@jit_inline
def apply_dropout_mask(a, mask, out, r0, r1, c0, c1):
    """``out = a * mask``."""
    for i in range(r0, r1):
        for j in range(c0, c1):
            out[i, j] = a[i, j] * mask[i, j]


@jit_inline
def activation_grad(d, z, a, act, alpha, used, mask, dropped, r0, r1, c0, c1):
    """``d *= mask`` (if ``dropped``), then ``d = act'(z) * d`` in place."""
    slope = d.dtype.type(alpha)
    for i in range(r0, r1):
        for j in range(c0, c1):
            g = d[i, j]
            if dropped:
                g = g * mask[i, j]
            d[i, j] = F.activation_grad(g, z[i, j], a[i, j], act, slope, used)


@jit_inline
def bias_grad(d, grad, b_off):
    """The bias's gradient ``grad[b_off:b_off + m]``: the column sums of ``d (B, m)``, each
    over the rows in order (the reference's order)."""
    # A view: db[j] vectorises, grad[b_off + j] paid a wrap-around check per element.
    db = vector_at(grad, b_off, d.shape[1])
    for j in range(d.shape[1]):
        db[j] = 0
    for i in range(d.shape[0]):
        for j in range(d.shape[1]):
            db[j] += d[i, j]


#: The update follows its weight gradient's GEMM a block of rows at a time, each block's
#: gradient at most about this many bytes: half of a 32 KiB L1 data cache, where the update
#: then reads it (784-128-10: blocks of 32 rows of 128 made the epoch 4 % faster than one
#: GEMM and one update over a member's whole share; 16 rows gained less, 64 and 128 none).
UPDATE_BLOCK_BYTES = 16384
#: Fewer rows a block, and BLAS's cost per call (it packs the whole ``d``, ``(B, n_out)``,
#: again for each) outweighs the gain: 16 rows of 256 gained nothing, 8 of 512 lost 4 %.
MIN_BLOCK_ROWS = 24


@jit_inline
def update_blocks(n_out, itemsize, share):
    """How many blocks a member's ``share`` of ``dW``'s rows (``n_out`` elements of
    ``itemsize`` bytes each) goes in, nearly equal (block ``k`` of ``blocks`` starts at row
    ``share * k // blocks``): blocks of up to :data:`UPDATE_BLOCK_BYTES`, or one block when
    such blocks would be under :data:`MIN_BLOCK_ROWS` rows. Equal blocks, not full ones and
    a remainder: so no block is under half of that, and BLAS, which adds up a product of a
    few rows (5 or fewer here, OpenBLAS 0.3.31) in another order, gives each element the
    bits of one whole product (the layer-by-layer path's: the tests compare them)."""
    rows = UPDATE_BLOCK_BYTES // (n_out * itemsize)
    if rows < MIN_BLOCK_ROWS:
        return 1
    return (share + rows - 1) // rows + (share == 0)


# The update, one function per rule: the kernel calls the one its rule (a constant) names, so
# Numba drops the others before inlining: inlining copies a function's whole body, and copying
# every rule's loop into the kernel cost its first compilation about 0.3 s (issue 12).
#
# Each updates the parameters ``[begin, end)`` (a block of a member's share) with the
# reference ops' formulas. Weight decay skips the elements where ``opt.decayed`` is 0
# (biases), unless the rule decays every parameter (``hyper[H_DECAY_BIASES]``); the flags
# combine with ``&``/``|``, not ``and``/``or``, whose short circuits gave each element's
# loop body branches of its own for Numba to type and lower (a cold start's cost). Nothing is
# kept for an undo here: copying the previous values every step cost a tenth of the wide
# net's epoch (issue 12); the kernel keeps them once per call instead (:func:`keep_share`).
#
# Shared out by the kernel's own team, not a Numba parallel region: one here made a
# 784-128-10 epoch 25x slower, its threads spinning against OpenBLAS's on a 2-core machine.


@jit_inline
def keep_share(params, opt, two_states, begin, end):
    """Copy the parameters ``[begin, end)`` and the optimizer's state there into the backups:
    the values before a call's first update, from which the caller can replay the call."""
    theta, backup = params.theta, params.backup
    s1, s2, b1, b2 = opt.s1, opt.s2, opt.s1_backup, opt.s2_backup
    for i in range(np.uint64(begin), np.uint64(end)):
        backup[i], b1[i] = theta[i], s1[i]
    if two_states:
        for i in range(np.uint64(begin), np.uint64(end)):
            b2[i] = s2[i]


@jit_inline
def weight_decay(hyper, dt):
    """The rule's weight decay in the parameters' float type ``dt``, whether there is any, and
    whether it reaches the biases too."""
    return (dt(hyper[H_WEIGHT_DECAY]), hyper[H_WEIGHT_DECAY] != 0.0,
            hyper[H_DECAY_BIASES] != 0.0)


@jit_inline
def sgd_step(params, opt, lr, begin, end):
    """SGD with momentum (Nesterov's or not) and weight decay."""
    theta, grad = params.theta, params.grad
    s1, hyper, decayed = opt.s1, opt.hyper, opt.decayed
    dt = theta.dtype.type
    lr_ = dt(lr)
    wd, use_wd, every = weight_decay(hyper, dt)
    momentum, nesterov = dt(hyper[H_MOMENTUM]), hyper[H_NESTEROV] != 0.0
    use_momentum = hyper[H_MOMENTUM] != 0.0
    for i in range(np.uint64(begin), np.uint64(end)):  # unsigned: vectorises (above)
        decay = use_wd & (every | (decayed[i] != 0))
        theta[i], s1[i] = F.sgd_element(theta[i], grad[i], s1[i], lr_, momentum, nesterov, wd,
                                        decay, use_momentum)


@jit_inline
def rmsprop_step(params, opt, lr, begin, end):
    """RMSprop with weight decay."""
    theta, grad = params.theta, params.grad
    s1, hyper, decayed = opt.s1, opt.hyper, opt.decayed
    dt = theta.dtype.type
    lr_ = dt(lr)
    wd, use_wd, every = weight_decay(hyper, dt)
    rho, c = dt(hyper[H_DECAY1]), dt(1.0 - hyper[H_DECAY1])
    eps = dt(hyper[H_EPS])
    for i in range(np.uint64(begin), np.uint64(end)):
        decay = use_wd & (every | (decayed[i] != 0))
        theta[i], s1[i] = F.rmsprop_element(theta[i], grad[i], s1[i], lr_, rho, c, eps, wd,
                                            decay)


@jit_inline
def adam_step(params, opt, lr, step, begin, end):
    """Adam, with L2 or decoupled (AdamW) weight decay; ``step`` counts this update."""
    theta, grad = params.theta, params.grad
    s1, s2, hyper, decayed = opt.s1, opt.s2, opt.hyper, opt.decayed
    dt = theta.dtype.type
    wd, use_wd, every = weight_decay(hyper, dt)
    beta1, c1 = dt(hyper[H_DECAY1]), dt(1.0 - hyper[H_DECAY1])
    beta2, c2 = dt(hyper[H_DECAY2]), dt(1.0 - hyper[H_DECAY2])
    eps = dt(hyper[H_EPS])
    decoupled = hyper[H_DECOUPLED] != 0.0
    shrink = dt(1.0 - lr * hyper[H_WEIGHT_DECAY])
    # math.pow with a float exponent is C's pow, as Python's ``beta ** step`` in the op
    # wrapper; Numba's ``**`` with an int exponent multiplies and rounds differently.
    step_size = dt(lr / (1.0 - math.pow(hyper[H_DECAY1], float(step))))
    bc2_sqrt = dt(math.sqrt(1.0 - math.pow(hyper[H_DECAY2], float(step))))
    for i in range(np.uint64(begin), np.uint64(end)):
        decay = use_wd & (every | (decayed[i] != 0))
        theta[i], s1[i], s2[i] = F.adam_element(
            theta[i], grad[i], s1[i], s2[i], beta1, c1, beta2, c2, step_size, bc2_sqrt, eps,
            wd, decay & (not decoupled), shrink, decay & decoupled)
