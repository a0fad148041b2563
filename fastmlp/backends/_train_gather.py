"""The first piece of a fused training step: gathering the batch's rows.

Each member of the kernel's team copies its share of the batch's rows from the training data
into the batch's matrix, in the epoch's shuffled order, with their labels (or targets) and
weights. The rows lie in memory in an order no hardware prefetcher can follow, so each copy
would first wait on memory for its row: the gather asks for every row's first lines a few
rows ahead (:func:`prefetch_row`).

Inlined into the kernel at Numba's level (``jit_inline``), as the steps of
:mod:`._train_steps` are.
"""

from __future__ import annotations

from ._jit import jit_inline
from ._prefetch import prefetch
from ._views import vector_at

#: The gather asks for a row's first lines this many rows before copying it, and for
#: :data:`ROW_PREFETCH_LINES` lines of it: enough for the hardware's prefetchers to carry on
#: along the row. Measured (Zen 4, 784-128-10 on Fashion-MNIST, a team of two, one process
#: alternating epochs with and without, 24-40 pairs a run, medians of the pairs' ratios):
#: 8 rows ahead and 4 lines, epochs 0.966-0.987 of those without in four runs; 8 or 16 lines,
#: 0.989 and 0.985; 4 rows ahead, 0.980-0.995 in three. Asking for the whole of the next
#: batch's rows during the update gained nothing (1.000): they had left the caches when the
#: gather came to them.
GATHER_AHEAD = 8
ROW_PREFETCH_LINES = 4


@jit_inline
def copy_row(src, dst):
    """``dst[:] = src`` (converted to ``dst``'s dtype): a gathered row.

    A loop over two 1-d views, not over ``X[row * n_in + j]``: that index is not provably
    non-negative, so every element paid Numba's negative-index wrap-around and the loop did
    not vectorise (an epoch's gather of Fashion-MNIST took 2.7x as long). Not a slice
    assignment either, whose broadcasting code is slow to compile."""
    for j in range(dst.shape[0]):
        dst[j] = src[j]


@jit_inline
def prefetch_row(X, offset, n_in):
    """Ask for the first :data:`ROW_PREFETCH_LINES` cache lines (64 bytes each) of the row
    ``X[offset:offset + n_in]`` of the flat data ``X``, or for all of a shorter row."""
    line = 64 // X.itemsize
    stop = ROW_PREFETCH_LINES * line
    if n_in < stop:
        stop = n_in
    for j in range(0, stop, line):
        prefetch(X, offset + j)


@jit_inline
def gather(data, batch, xb, orders, e, start, r0, r1, labelled, weighted):
    """The batch's rows ``[r0, r1)``: ``xb[i]`` = row ``orders[e, start + i]`` of the data
    (converted to ``xb``'s dtype: 8-bit pixels too), and its label (``labelled``) or targets,
    and its weight (``weighted``), into the batch's vectors.

    Parameters
    ----------
    data : ``_train_args.Data``
        ``X`` flat, ``(n * n_in,)``; ``labels (n,)``, ``targets (n, k)``, ``weights (n,)``.
    batch : ``_train_args.Batch``
        ``labels``, ``targets``, ``weights``: the batch's, written at ``[r0, r1)``.
    xb : ndarray, shape (B, n_in)
    orders : ndarray of int64, shape (epochs, n)
    e, start, r0, r1 : int
        The epoch, the batch's first position in its order, and the rows to gather.
    labelled, weighted : bool
    """
    X = data.X
    n_in = xb.shape[1]
    for i in range(r0 - GATHER_AHEAD, r1):
        if i + GATHER_AHEAD < r1:
            prefetch_row(X, orders[e, start + i + GATHER_AHEAD] * n_in, n_in)
        if i < r0:  # the first rows are asked for before any copy
            continue
        row = orders[e, start + i]
        copy_row(vector_at(X, row * n_in, n_in), xb[i])
        if labelled:
            batch.labels[i] = data.labels[row]
        else:
            for j in range(data.targets.shape[1]):
                batch.targets[i, j] = data.targets[row, j]
        if weighted:
            batch.weights[i] = data.weights[row]
