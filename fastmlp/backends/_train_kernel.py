"""The fused training kernel of the Numba path: many batches (or whole epochs) in one call.

The network arrives as named tuples of plain arrays (:mod:`._train_args`). Around each GEMM
(BLAS into preallocated storage, :mod:`._blas`) everything is fused: bias + activation in one
pass, the activation derivative in one, softmax cross-entropy forward and backward in one per
row, each layer's update right after its weight gradient, in cache. Nothing is allocated per step.
Every formula comes from :mod:`._formulas`, shared with the op kernels, so the numbers are
those of the layer-by-layer path; the tests compare the two, non-finite inputs included.

On a team of threads each member gathers its share of the batch's rows and takes them alone
through the forward pass, the loss and the backward pass down to every layer's ``d``: a row
needs no other row until the weight gradients. At a barrier the rows meet; every member adds
up the loss's terms (in the serial order, so all see the same loss), then computes its share
of the rows of each ``dW = a_prev.T @ d`` (consecutive parameters; the last member also the
bias gradient, each column summed over the rows in the serial order, since the bias follows
``W`` in ``theta``) and updates exactly those parameters: one run of them per layer and
member, so one update loop in the kernel (each loop inlined costs a cold start), run block
by block right after each block's GEMM (:func:`._train_steps.update_blocks`). A second
barrier ends the step: the next forward pass reads every parameter. Member 0 alone draws the
dropout masks (the generator is one sequence), behind a barrier of their own, as are a
weighted batch's weights (every member adds them all up).

Two barriers a step, whatever the depth (a team sharing every layer's columns met at every
layer, and lost by it on 784-128-10, :mod:`fastmlp.training.team`), three more around a layer
wide enough to share by columns (``layers.cols``): BLAS then packs half its ``W`` a member.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from . import _formulas as F
from . import _prefetch as P
from . import _team as T
from . import _train_losses as L
from . import _train_steps as S
from . import _views as V
from ._blas import matmul_at
from ._jit import jit
from .codes import (
    BINARY_CROSS_ENTROPY,
    CROSS_ENTROPY,
    IDENTITY,
    OPT_RMSPROP,
    OPT_SGD,
    SIGMOID,
    SIGMOID_BIT,
    TANH,
    TANH_BIT,
)


def train_batches_for(loss_code, activations, rule, weighted, dropout, columns=False):
    """The fused kernel for one loss, set of activations, update rule, weighting, dropout and
    sharing of columns.

    ``loss_code`` and ``rule`` (``OPT_*``) come from :mod:`.codes`, ``activations`` from its
    :func:`~.codes.activation_set`; ``weighted``: the fit has sample weights; ``dropout``: some
    layer has dropout; ``columns``: a team may share some layer by columns (``layers.cols``).
    These are constants of the compiled kernel, so Numba drops what the fit does not use before
    typing it: the other losses and update rules, the weighted (or unweighted) arithmetic,
    dropout, the activations the network does not have, the column shares; each cost compile
    time (cold start, issue 12: about 0.6 s for the rules, 0.45 s for the weighting, 0.1-0.3 s
    for dropout, 0.2-0.45 s for the columns, measured; leaky ReLU's loops beside ReLU's and the
    update's short-circuit flags, 0.28 s together). Each constant multiplies the kernels a
    process may compile, each once (a test suite, or a user trying several optimizers), then
    cached on disk (Numba keys the cache on the constants); a network has one or two
    activations. Rows are always gathered in a given order, storage order included: viewing
    unshuffled rows in place cost 0.3 s of compilation, to save one copy of them an epoch.
    """
    return _kernel(int(loss_code), int(activations), int(rule), bool(weighted), bool(dropout),
                   bool(columns))


# The step is written out in the kernel, not called as inlined helpers (forward, backward):
# Numba inlines a function by deep-copying its scope once per block, so each level of
# nesting copied the steps inlined below it again (0.5 s of a cold start).
@functools.cache
def _kernel(loss_code, used, rule, weighted, dropout, columns):
    smooth = bool(used & (SIGMOID_BIT | TANH_BIT))
    # A constant, so Numba drops the barrier and its branch when neither is used.
    meet_after_gather = weighted or dropout

    @jit
    def train_batches(data, layers, params, opt, batch, rng, orders, batch_size, batch_begin,
                      batch_end, lrs, step, max_updates, epoch_loss, epoch_correct, steps, team):
        """Run batches ``[batch_begin, batch_end)`` of each of ``len(lrs)`` epochs.

        Epoch ``e`` visits rows in the order ``orders[e]`` (C-contiguous ``(len(lrs), n)``
        int64), with learning rate ``lrs[e]``; ``step`` is the optimizer's step count so far.
        The call returns early once it has made ``max_updates`` updates. Before its first
        update it copies the parameters and the optimizer's state into the backups
        (``params.backup``, ``opt.s1_backup``, ``opt.s2_backup``): from them, the same
        arguments and the generator's state at the call, the caller can replay the call up to
        any of its updates, bit for bit (to undo the last one).
        ``epoch_loss[e]`` / ``epoch_correct[e]`` accumulate the sample-weighted loss and the hits,
        ``steps[0]`` counts the updates made (in an array, so the caller reads it even when
        Ctrl-C interrupts the return). Dropout masks are drawn from ``rng``, the model's
        Generator. With sample weights (a ``weighted`` kernel) each batch's loss is its weighted
        mean, ``epoch_loss`` adds it times the batch's weight, and a batch whose weights sum to
        zero is skipped (no update).

        ``team`` (:class:`Team`): this call is member ``team.member`` of ``team.size`` threads
        running the kernel together on the same arguments (see above); member 0 also counts
        (``steps``, ``epoch_loss``, ``epoch_correct``). With one member, the serial kernel.

        Returns ``(bad_epoch, bad_batch, bad_loss)``: where the loss stopped being finite
        (``bad_epoch == -1`` when it never did), the same on every member. The kernel stops
        there and leaves undoing the latest update to the caller, which knows whether an
        update happened before this call.
        """
        X = data.X
        sizes, acts, alphas, drops, w_off, b_off, cols = layers
        theta, grad, _ = params
        work, terms = batch.work, batch.terms
        # Whole vectors: the losses read the batch's rows only (slicing them cost compile time).
        labels, targets, weights = batch.labels, batch.targets, batch.weights
        member, size, grain, sync = team.member, team.size, team.grain, team.sync
        lead = member == 0
        n_in = sizes[0]
        n_layers = acts.shape[0]
        k = sizes[n_layers]
        n = X.shape[0] // n_in
        met = 0  # barriers met so far
        taken = 0
        for e in range(lrs.shape[0]):
            for b in range(batch_begin, batch_end):
                if taken == max_updates:
                    return -1, -1, 0.0
                # The batch: each member gathers its rows, in the epoch's order.
                start = b * batch_size
                B = n - start  # the batch, or the epoch's last rows (min() compiles)
                if batch_size < B:
                    B = batch_size
                r0, r1 = T.share(B, member, size, grain)
                u0, u1, zero, _ = S.unsigned(r0, r1, 0, 0)  # the passes' bounds, unsigned
                xb = V.matrix_at(work, 0, B, n_in)
                for i in range(r0 - P.GATHER_AHEAD, r1):  # rows asked for ahead (._prefetch)
                    if i + P.GATHER_AHEAD < r1:
                        P.prefetch_row_start(X, orders[e, start + i + P.GATHER_AHEAD] * n_in)
                    if i < r0:
                        continue
                    row = orders[e, start + i]
                    S.copy_row(V.vector_at(X, row * n_in, n_in), xb[i])  # converts pixels too
                    if loss_code == CROSS_ENTROPY:
                        batch.labels[i] = data.labels[row]
                    else:
                        for j in range(data.targets.shape[1]):
                            batch.targets[i, j] = data.targets[row, j]
                    if weighted:
                        batch.weights[i] = data.weights[row]
                wsum = float(B)
                if meet_after_gather:
                    if dropout and lead:
                        for l in range(n_layers):  # noqa: E741 - l is the layer index
                            if drops[l] > 0.0:
                                S.draw_dropout_mask(
                                    V.matrix_at(work, batch.m_off[l], B, sizes[l + 1]),
                                    drops[l], rng)
                    met += 1
                    T.barrier(sync, size, met)  # every weight gathered, every mask drawn
                    if weighted:
                        wsum = F.weight_sum(V.vector_at(weights, 0, B))
                        if wsum == 0.0:  # nothing to learn from: no loss, no update
                            met += 1
                            T.barrier(sync, size, met)  # every member done reading weights
                            continue

                # Forward, on this member's rows (or every row of its columns, after a barrier):
                # per layer z = a_prev @ W, then bias + activation (and dropout).
                a_off = 0
                for l in range(n_layers):  # noqa: E741 - l is the layer index, as in the maths
                    n_prev, n_out = sizes[l], sizes[l + 1]
                    f0, f1, c0, c1 = r0, r1, 0, n_out
                    v0, v1, w0, w1 = u0, u1, zero, np.uint64(n_out)
                    if columns:  # a constant: without it Numba drops the branch (0.3 s cold)
                        by_cols = cols[l] != 0
                        if by_cols or (l > 0 and cols[l - 1] != 0):
                            met += 1
                            T.barrier(sync, size, met)  # the layer below, every row, column
                        f0, f1, c0, c1 = T.block(by_cols, r0, r1, B, n_out, member, size, grain)
                        v0, v1, w0, w1 = S.unsigned(f0, f1, c0, c1)
                    matmul_at(work, a_off + f0 * n_prev, n_prev, False, theta, w_off[l] + c0,
                              n_out, False, work, batch.z_off[l] + f0 * n_out + c0, n_out,
                              f1 - f0, c1 - c0, n_prev)
                    z = V.matrix_at(work, batch.z_off[l], B, n_out)
                    a = V.matrix_at(work, batch.a_off[l], B, n_out)
                    S.add_bias(z, theta, b_off[l], v0, v1, w0, w1)
                    act = acts[l]
                    if smooth and (act == SIGMOID or act == TANH):
                        S.smooth_activation(z, a, act, used, v0, v1, w0, w1)
                    elif act != IDENTITY:  # identity: a is z itself
                        S.relu_activation(z, a, act, alphas[l], used, v0, v1, w0, w1)
                    a_off = batch.a_off[l]
                    if dropout and drops[l] > 0.0:
                        a_off = batch.o_off[l]
                        o = V.matrix_at(work, a_off, B, n_out)
                        S.apply_dropout_mask(a, V.matrix_at(work, batch.m_off[l], B, n_out), o,
                                             v0, v1, w0, w1)
                if columns and cols[n_layers - 1] != 0:
                    met += 1
                    T.barrier(sync, size, met)  # the loss reads whole rows

                # The loss's terms on these rows, and its gradient into the last layer's d.
                out = V.matrix_at(work, a_off, B, k)
                d = V.matrix_at(work, batch.d_off[n_layers - 1], B, k)
                if loss_code == CROSS_ENTROPY:
                    L.xent(out, labels, d, weights, wsum, weighted, r0, r1, terms, batch.hits)
                elif loss_code == BINARY_CROSS_ENTROPY:
                    L.bce(out, targets, d, weights, wsum, weighted, r0, r1, terms)
                else:
                    L.mse(out, targets, d, weights, wsum, weighted, r0, r1, terms)

                # Backward: the activation derivative on the block of d this member wrote, then
                # dx = d @ W.T into the d below, shared as that layer's forward product was.
                d_by_cols = False  # the loss's gradient is shared by rows
                for l in range(n_layers - 1, -1, -1):  # noqa: E741
                    n_prev, n_out = sizes[l], sizes[l + 1]
                    d = V.matrix_at(work, batch.d_off[l], B, n_out)
                    z = V.matrix_at(work, batch.z_off[l], B, n_out)
                    a = V.matrix_at(work, batch.a_off[l], B, n_out)
                    mask = V.matrix_at(work, batch.m_off[l], B, n_out)
                    v0, v1, w0, w1 = u0, u1, zero, np.uint64(n_out)
                    if columns:
                        f0, f1, c0, c1 = T.block(d_by_cols, r0, r1, B, n_out, member, size, grain)
                        v0, v1, w0, w1 = S.unsigned(f0, f1, c0, c1)
                    S.activation_grad(d, z, a, acts[l], alphas[l], used, mask,
                                      dropout and drops[l] > 0.0, v0, v1, w0, w1)
                    if l > 0:
                        f0, f1, c0, c1 = r0, r1, 0, n_prev
                        if columns:
                            below_by_cols = cols[l - 1] != 0
                            if below_by_cols or d_by_cols:
                                met += 1
                                T.barrier(sync, size, met)  # d, every row and column
                            f0, f1, c0, c1 = T.block(below_by_cols, r0, r1, B, n_prev, member,
                                                     size, grain)
                            d_by_cols = below_by_cols
                        matmul_at(work, batch.d_off[l] + f0 * n_out, n_out, False,
                                  theta, w_off[l] + c0 * n_out, n_out, True,
                                  work, batch.d_off[l - 1] + f0 * n_prev + c0, n_prev,
                                  f1 - f0, c1 - c0, n_out)
                met += 1
                T.barrier(sync, size, met)  # every row's d and loss terms ready

                # The mean loss, the same on every member.
                loss = L.mean_of_terms(terms, loss_code != CROSS_ENTROPY, weighted, B, k, wsum)
                if not math.isfinite(loss):
                    return e, b, loss
                correct = 0
                if lead and loss_code == CROSS_ENTROPY:
                    correct = L.count_hits(batch.hits, B)  # before the next batch's rows land

                # Each layer's gradient and update: each member its rows of dW, the last
                # member the bias too (it follows W in theta: one run of parameters each),
                # updated a block of rows at a time, while still in L1 (S.update_blocks).
                first = taken == 0
                taken += 1
                for l in range(n_layers - 1, -1, -1):  # noqa: E741
                    n_prev, n_out = sizes[l], sizes[l + 1]
                    below = 0
                    if l > 0:
                        below = batch.o_off[l - 1]
                    i0, i1 = T.share(n_prev, member, size, T.rows_grain(n_out, grain))
                    share = i1 - i0
                    blocks = S.update_blocks(n_out, grad.itemsize, share)
                    blk = 0
                    while blk < blocks:  # dW's rows [j0, j1), then their update
                        j0 = i0 + share * blk // blocks
                        blk += 1
                        j1 = i0 + share * blk // blocks
                        matmul_at(work, below + j0, n_prev, True, work, batch.d_off[l], n_out,
                                  False, grad, w_off[l] + j0 * n_out, n_out, j1 - j0, n_out, B)
                        begin, end = w_off[l] + j0 * n_out, w_off[l] + j1 * n_out
                        # The last block takes the bias (& compiles no branch per operand).
                        if (blk == blocks) & (member == size - 1) & (b_off[l] >= 0):
                            S.bias_grad(V.matrix_at(work, batch.d_off[l], B, n_out), grad,
                                        b_off[l])
                            end = b_off[l] + n_out
                        if first:
                            S.keep_share(params, opt, rule != OPT_SGD and rule != OPT_RMSPROP,
                                         begin, end)
                        if rule == OPT_SGD:
                            S.sgd_step(params, opt, lrs[e], begin, end)
                        elif rule == OPT_RMSPROP:
                            S.rmsprop_step(params, opt, lrs[e], begin, end)
                        else:
                            S.adam_step(params, opt, lrs[e], step + taken, begin, end)
                met += 1
                T.barrier(sync, size, met)  # every parameter updated, every row read
                if lead:
                    steps[0] = taken
                    epoch_loss[e] += loss * wsum
                    epoch_correct[e] += correct
        return -1, -1, 0.0

    return train_batches
