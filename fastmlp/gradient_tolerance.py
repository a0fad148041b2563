"""How far backprop and a central difference may differ before the difference means something.

A central difference is not exact: it has a truncation error (``∝ h²``) and a rounding error
(``∝ 1/h``, and far larger than ``ε·|L|/h`` when the loss is a small difference of large
terms, as on a trained network). Both gradient checks (:mod:`fastmlp.gradient_check` per
coordinate, :mod:`fastmlp.directional_gradient_check` along random directions) take every
central difference at two steps, ``h`` and ``h/2``, estimate the error of the one at ``h``
from how much the two disagree (:func:`error_estimate`, never below :func:`rounding_floor`),
and count a difference from backprop only where it exceeds ``SAFETY`` times that estimate.
:func:`relative_error` is the measure both report.

Nothing here looks at a model: these are the numbers both checks share.
"""

from __future__ import annotations

import numpy as np

#: The tolerance is this many times the estimated error of the central difference.
SAFETY = 2.0


def relative_error(a, b):
    """Element-wise ``|a − b| / max(|a| + |b|, 1e-8)``."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-8)


def error_estimate(numerical, half_step, kinks, floor):
    """The error of central differences at step ``h``, from the same taken at ``h/2``.

    With ``g`` the true derivative, ``n(h) = g + c·h² + r(h)``: a truncation term and a
    rounding term. ``d = n(h) − n(h/2)`` is ``¾·c·h²`` plus the rounding of both, so ``|d|``
    measures the truncation error of one coordinate and, together, the size of the rounding
    noise. Rounding has the same origin in every coordinate (the same loss evaluations) but in
    one coordinate both roundings can coincide and ``d`` vanish, so the rounding part is taken
    from all coordinates at once: ``noise`` is the largest ``|d|`` off kinks (at least
    ``floor``). The tolerance of coordinate ``i`` is ``SAFETY · (|d_i| + noise)``.

    Nothing here depends on backprop, so a wrong analytic gradient cannot widen its own
    tolerance. A coordinate with a large truncation error widens every tolerance (the check
    loses resolution, it raises no false alarm); a kink that was not flagged (``kinks`` None,
    the plain loop) can do the same.

    Parameters
    ----------
    numerical, half_step : list of arrays
        Central differences at ``h`` and at ``h/2``, array ``i`` of both with the shape of
        parameter ``i``.
    kinks : list of bool arrays or None
        True where the ±h step crosses a ReLU kink; those coordinates are left out of
        ``noise``. None when unknown.
    floor : float
        A lower bound for ``noise``, e.g. :func:`rounding_floor`.

    Returns
    -------
    noise : float
        The rounding noise of one central difference at ``h``, in units of the gradient.
    tolerances : list of arrays
        Shaped like the gradients: ``SAFETY · (|n(h) − n(h/2)| + noise)``.
    """
    diffs = [np.abs(np.asarray(n, dtype=np.float64) - np.asarray(m, dtype=np.float64))
             for n, m in zip(numerical, half_step)]
    noise = float(floor)
    for i, d in enumerate(diffs):
        off_kink = d if kinks is None or kinks[i] is None else d[~np.asarray(kinks[i])]
        noise = max(noise, float(off_kink.max(initial=0.0)))
    return noise, [SAFETY * (d + noise) for d in diffs]


def rounding_floor(loss, eps):
    """``4 ε |L| / h``: the least rounding error of a central difference of a loss ``L``.

    A lower bound only: when ``L`` is computed as a difference of larger terms (the
    cross-entropy of a trained network, ``log Σ exp z − z_y`` with ``|z|`` of order 10 and
    ``L`` of order 1e-4) the rounding error is that of the terms. :func:`error_estimate`
    measures it instead.

    Parameters
    ----------
    loss : float
        The loss at the unperturbed parameters.
    eps : float
        The central-difference step h.

    Returns
    -------
    float
        An absolute bound on ``|analytic − numerical|``, in units of the gradient.
    """
    return 4 * np.finfo(np.float64).eps * max(abs(loss), np.finfo(np.float64).tiny) / eps
