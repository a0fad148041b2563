"""The arguments of the fused training kernel (:mod:`._train_kernel`): named tuples of plain
arrays, which Numba passes as they are.

Built by :mod:`fastmlp.training.fused`:

- :class:`Layers`, the model's layer plan: widths, activation codes, leaky slopes, dropout
  rates, the offsets of each ``W`` and ``b`` in the flat parameter vector, and which layers a
  team shares by columns;
- :class:`Params`: the flat parameters ``theta`` (the model's own storage), their gradient,
  and ``theta`` as it was before the first update of the latest call that made one;
- :class:`OptimizerState`: the update rule's code and settings, its state vectors and their
  values at that same moment;
- :class:`Batch`: the flat work vector (per layer ``z``, ``a``, dropout mask, dropped output
  ``o`` and the gradient ``d`` flowing down, at the offsets given), the gathered targets, and
  the loss's terms and hits;
- :class:`Data`: the training set and the loss code;
- :class:`Team`: which of the threads running the call together this one is (:mod:`._team`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Layers(NamedTuple):
    """The layer plan as arrays; ``sizes`` is ``(L + 1,)``, the rest ``(L,)``."""

    sizes: np.ndarray  # int64 widths, input first
    acts: np.ndarray  # int64 activation codes
    alphas: np.ndarray  # float64 leaky slopes
    drops: np.ndarray  # float64 dropout rates (0: none)
    w_off: np.ndarray  # int64 offsets of W in theta
    b_off: np.ndarray  # int64 offsets of b in theta, -1 without bias
    cols: np.ndarray  # int64, 1 where a team shares the layer's units (columns), not rows


class Params(NamedTuple):
    """The flat parameters, their gradient and their values before the first update of the
    latest kernel call that made one."""

    theta: np.ndarray
    grad: np.ndarray
    backup: np.ndarray


class OptimizerState(NamedTuple):
    """The update rule's ``hyper`` settings and state vectors, and ``decayed``, 1 where weight
    decay applies and 0 on biases (read only when the rule does not decay every parameter).
    The rule itself is a constant of the kernel (:func:`train_batches_for`).

    ``s1`` is the velocity, squared average or first moment; ``s2`` the second moment
    (Adam) or ``s1`` again. ``s1_backup``/``s2_backup`` hold them as ``Params.backup`` holds
    the parameters.
    """

    hyper: np.ndarray
    s1: np.ndarray
    s2: np.ndarray
    s1_backup: np.ndarray
    s2_backup: np.ndarray
    decayed: np.ndarray


class Batch(NamedTuple):
    """Work space for one batch: the flat ``work`` vector with per-layer offsets, the
    gathered labels ``(B,)`` or regression targets ``(B, k)``, and sample weights ``(B,)``;
    the float64 ``terms`` ``(B * k,)`` of the batch's loss and, for cross-entropy, ``hits``
    ``(B,)`` int64, 1 where a row's argmax is its label (:mod:`._train_losses`)."""

    work: np.ndarray
    z_off: np.ndarray
    a_off: np.ndarray
    m_off: np.ndarray
    o_off: np.ndarray
    d_off: np.ndarray
    labels: np.ndarray
    targets: np.ndarray
    weights: np.ndarray
    terms: np.ndarray
    hits: np.ndarray


class Team(NamedTuple):
    """The threads running one kernel call together (:mod:`._team`): this one's ``member``
    number of ``size``, the ``grain`` their shares are rounded to and their int64 barrier
    counters ``sync`` (``(8,)``, zeroed before the call)."""

    member: int
    size: int
    grain: int
    sync: np.ndarray


class Data(NamedTuple):
    """The training set: ``X`` flat ``(n * n_in,)``, labels ``(n,)`` (cross-entropy) or
    targets ``(n, k)`` (the other losses; the unused one is a dummy), and the
    sample weights ``(n,)`` in the model's dtype for a weighted kernel (else a dummy). ``X`` may
    be of another dtype than the network (pixels kept as 8-bit integers): rows are converted
    as they are gathered."""

    X: np.ndarray
    labels: np.ndarray
    targets: np.ndarray
    weights: np.ndarray
