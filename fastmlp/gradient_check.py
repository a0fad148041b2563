"""Checking backprop against central differences: per-array and along random directions.

:func:`check_gradients` compares every coordinate (for networks small enough), and
:func:`directional_check` a few random directions (for any size). A central difference is
not exact: it has a truncation error (``∝ h²``) and a rounding error (``∝ 1/h``, and far
larger than ``ε·|L|/h`` when the loss is a small difference of large terms, as on a
trained network). Both checks therefore take every central difference at two steps, ``h``
and ``h/2``, estimate the error of the one at ``h`` from how much the two disagree
(:func:`error_estimate`), and count a difference from backprop only where it exceeds that
estimate. The gradients themselves come from :mod:`fastmlp.gradients`.
"""

from __future__ import annotations

import numpy as np

from ._validation import check_positive_number
from .gradients import analytic_gradients, loss_and_signs, numerical_gradients, param_names

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


class GradientReport:
    """Per parameter array: max and median relative error, kinks, error away from kinks.

    ``rows`` is a list of dicts with keys ``name``, ``shape``, ``max_error``,
    ``median_error``, ``kinks`` (coordinates whose ±h perturbation crosses a ReLU kink,
    or None when unknown), ``max_error_off_kinks``, ``max_error_resolved`` and
    ``max_ratio``. ``str(report)`` is a table.

    ``max_error_resolved`` is the relative error over the coordinates, off kinks, whose
    difference ``|a − n|`` exceeds the tolerance of that coordinate: the estimated error of
    the central difference (see :func:`error_estimate`; ``tolerances`` holds them, shaped
    like the gradients). A difference within it says nothing about backprop: on a vanishing
    gradient (say 1e-6, deep in a sigmoid stack) or on a trained network, whose small loss is
    a difference of large terms, it can be a large *relative* error. The resolved error is the
    one to hold to 1e-6; it is 0 for a correct gradient. ``max_ratio`` is the largest
    ``|a − n| / tolerance`` off kinks: below 1, backprop agrees with central differences as
    closely as they can tell. ``floor`` is the rounding noise of one central difference
    (in units of the gradient).
    """

    def __init__(self, rows, floor, tolerances=None):
        self.rows = rows
        self.floor = floor
        self.tolerances = tolerances

    @property
    def max_error(self):
        """The largest relative error over every coordinate."""
        return max(row["max_error"] for row in self.rows)

    @property
    def max_error_off_kinks(self):
        """The largest relative error over coordinates not at a ReLU kink."""
        return max(row["max_error_off_kinks"] for row in self.rows)

    @property
    def max_error_resolved(self):
        """The largest relative error off kinks where ``|a − n|`` exceeds its tolerance."""
        return max(row["max_error_resolved"] for row in self.rows)

    @property
    def max_ratio(self):
        """The largest ``|a − n| / tolerance`` off kinks (below 1: agreement)."""
        return max(row["max_ratio"] for row in self.rows)

    def __str__(self):
        lines = [f"{'param':<6} {'shape':<12} {'max rel err':>12} {'median':>10} "
                 f"{'kinks':>6} {'max off kinks':>14} {'resolved':>10} {'|a-n|/tol':>10}"]
        for r in self.rows:
            kinks = "?" if r["kinks"] is None else str(r["kinks"])
            lines.append(f"{r['name']:<6} {str(r['shape']):<12} {r['max_error']:>12.3e} "
                         f"{r['median_error']:>10.2e} {kinks:>6} "
                         f"{r['max_error_off_kinks']:>14.3e} {r['max_error_resolved']:>10.2e} "
                         f"{r['max_ratio']:>10.2g}")
        if self.tolerances is None:
            lines.append(f"resolved: off kinks, where |analytic - numerical| > tol = "
                         f"{self.floor:.1e}")
        else:
            lines.append(f"resolved: off kinks, where |analytic - numerical| > tol = "
                         f"{SAFETY:g} (|n(h) - n(h/2)| + {self.floor:.1e}), the estimated "
                         f"error of the central difference")
        return "\n".join(lines)

    __repr__ = __str__


def check_gradients(model, X, y, eps=1e-5):
    """Compare backprop against central differences, both in float64, parameter by parameter.

    Every central difference is taken twice, at ``h = eps`` and at ``h/2``, to estimate its
    error (:func:`error_estimate`): the numerical gradient costs twice what
    ``model.gradients(X, y, method="numerical")`` costs (on the Numba path, about 0.3 s
    rather than 0.14 s for 784-128-10 on a batch of 64).

    Parameters
    ----------
    model : Sequential
    X : (n, n_in) array-like
    y : labels or targets, as for ``fit``
    eps : float
        The central-difference step h.

    Returns
    -------
    GradientReport
        Hold ``max_error_resolved`` to 1e-6.
    """
    eps = float(check_positive_number(eps, "eps"))
    X, y = model._check_Xy(X, y)
    twin = model.copy(dtype="float64")
    X64 = np.ascontiguousarray(X, dtype=np.float64)
    y64 = y if model.is_classifier else np.asarray(y, dtype=np.float64)
    analytic = analytic_gradients(twin, X64, y64)
    loss = twin._loss.forward(twin.ops, twin._forward(X64), y64)
    numerical, kinks = numerical_gradients(twin, X64, y64, eps=eps, with_kinks=True)
    half_step = numerical_gradients(twin, X64, y64, eps=eps / 2)
    noise, tolerances = error_estimate(numerical, half_step, kinks, rounding_floor(loss, eps))
    return compare(analytic, numerical, kinks, noise, param_names(model), tolerances)


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


def compare(analytic, numerical, kinks, floor, names, tolerances=None):
    """The :class:`GradientReport` of gradients already computed.

    Parameters
    ----------
    analytic, numerical : list of arrays
        One array per parameter, array ``i`` of both with the same shape.
    kinks : list of bool arrays or None
        Shaped like the gradients, True where the ±h step crosses a ReLU kink; None when
        unknown.
    floor : float
        The rounding noise of one central difference, e.g. from :func:`error_estimate`
        or :func:`rounding_floor`.
    names : list of str
        One per parameter array, e.g. ``["W1", "b1"]``.
    tolerances : list of arrays, optional
        Per coordinate, shaped like the gradients: the difference ``|a − n|`` a correct
        gradient can show (from :func:`error_estimate`). Default: ``floor`` everywhere.

    Returns
    -------
    GradientReport
    """
    rows = []
    for i, (a, n) in enumerate(zip(analytic, numerical)):
        err = relative_error(a, n)
        diff = np.abs(np.asarray(a, dtype=np.float64) - np.asarray(n, dtype=np.float64))
        tol = floor if tolerances is None else tolerances[i]
        ratio = diff / np.maximum(tol, np.finfo(np.float64).tiny)
        off_kink = np.ones(err.shape, dtype=bool) if kinks is None else ~np.asarray(kinks[i])
        resolved = off_kink & (diff > tol)
        rows.append({"name": names[i], "shape": a.shape, "max_error": float(err.max()),
                     "median_error": float(np.median(err)),
                     "kinks": None if kinks is None else int((~off_kink).sum()),
                     "max_error_off_kinks": float(err[off_kink].max(initial=0.0)),
                     "max_error_resolved": float(err[resolved].max(initial=0.0)),
                     "max_ratio": float(ratio[off_kink].max(initial=0.0))})
    return GradientReport(rows, floor, tolerances)


class DirectionalReport:
    """Per random direction ``u``: ``uᵀ∇L`` by backprop against ``(L(θ + hu) − L(θ − hu)) / 2h``.

    ``rows`` is a list of dicts, one per direction, with keys ``analytic`` and ``numerical``
    (the two directional derivatives), ``abs_error`` (``|a − n|``), ``relative_error``
    (``|a − n| / max(|a| + |n|, 1e-8)``), ``tolerance`` (the difference a correct gradient
    can show) and ``kinked`` (True when the ±h step moves some ReLU / leaky-ReLU
    pre-activation across zero, where the two are expected to differ). ``str(report)`` is a
    table.

    The tolerance is estimated as in :class:`GradientReport`: every difference quotient is
    also taken at ``h/2``, and ``tolerance = SAFETY · (|d| + floor)`` with ``d`` the change of
    ``n − a`` between the two steps and ``floor`` the rounding noise: the largest ``|d|``
    over directions off kinks, or the rounding measured by the fourth difference of the five
    losses at ``θ + k·(h/2)·u``, ``k = −2..2`` (a loss-independent measure; with few
    directions ``d`` alone may vanish by chance), and at least ``4 ε |L| / h``.
    ``max_error_resolved`` is the largest relative error over directions off kinks with
    ``|a − n|`` above the tolerance; that is the number to hold to about 1e-6 (0 for a
    correct gradient).
    """

    def __init__(self, rows, floor, eps):
        self.rows = rows
        self.floor = floor
        self.eps = eps

    @property
    def max_error(self):
        """The largest relative error over every direction."""
        return max(row["relative_error"] for row in self.rows)

    @property
    def max_error_resolved(self):
        """The largest relative error off kinks where ``|a − n|`` exceeds its tolerance."""
        return max((row["relative_error"] for row in self.rows
                    if not row["kinked"] and row["abs_error"] > row["tolerance"]), default=0.0)

    def __str__(self):
        lines = [f"{'dir':>3} {'analytic':>14} {'numerical':>14} {'rel err':>9} "
                 f"{'|a-n|/tol':>9} {'kink':>5}"]
        for i, r in enumerate(self.rows):
            lines.append(f"{i:>3} {r['analytic']:>14.7e} {r['numerical']:>14.7e} "
                         f"{r['relative_error']:>9.2e} {r['abs_error'] / r['tolerance']:>9.2g} "
                         f"{'yes' if r['kinked'] else 'no':>5}")
        lines.append(f"h = {self.eps:g}; |analytic - numerical| below tol = {SAFETY:g} "
                     f"(|d| + {self.floor:.1e}), d its change from h to h/2, is rounding or "
                     f"truncation, not a wrong gradient")
        return "\n".join(lines)

    __repr__ = __str__


def directional_check(model, X, y, n_directions=4, eps=1e-5, seed=None):
    """Check backprop along a few random directions: ``4·n_directions`` forward passes in all.

    For each unit vector ``u`` drawn uniformly over all parameters at once, compares the
    backpropagated ``uᵀ∇L`` with ``(L(θ + hu) − L(θ − hu)) / 2h``, and takes the same
    difference at ``h/2`` to estimate its error (see :class:`DirectionalReport`). One
    backward pass and four forward passes per direction, whatever the size of the network:
    the check for networks too large for :func:`check_gradients`. Everything runs in float64
    on a copy of the model (same backend), with dropout off; the model itself is not touched.

    A wrong gradient in any coordinate shows in almost every random direction, but diluted:
    an error ``δ`` in one of ``P`` coordinates moves ``uᵀ∇L`` by about ``δ/√P``. Use
    :func:`check_gradients` to find *which* array is wrong.

    The default ``h = 1e-5`` balances the two errors of a central difference along a unit
    direction, exactly as for one coordinate: truncation ``h²·|∂³L/∂u³|/6`` and rounding
    ``ε·|L|/h`` meet near ``h ≈ (3 ε |L|)^(1/3) ≈ 1e-5`` for ``L`` of order 1. A smaller ``h``
    raises the rounding noise; a larger one moves more ReLU pre-activations across their kink.

    Parameters
    ----------
    model : Sequential
    X : (n, n_in) array-like
    y : (n,) labels or (n, n_out) targets, as for ``fit``
    n_directions : int
        How many random directions.
    eps : float
        The step ``h`` along each unit direction.
    seed : int or numpy.random.Generator or None
        Seeds the directions.

    Returns
    -------
    DirectionalReport
        ``rows`` holds one dict per direction.
    """
    check_positive_number(n_directions, "n_directions", integer=True)
    eps = float(check_positive_number(eps, "eps"))
    X, y = model._check_Xy(X, y)
    twin = model.copy(dtype="float64")
    X64 = np.ascontiguousarray(X, dtype=np.float64)
    y64 = y if model.is_classifier else np.asarray(y, dtype=np.float64)
    grad = np.concatenate([g.ravel() for g in analytic_gradients(twin, X64, y64)])
    params = twin.parameters()
    theta = np.concatenate([p.ravel() for p in params])
    loss, signs = loss_and_signs(twin, X64, y64)
    rng = np.random.default_rng(seed)
    rows, changes = [], []
    # Sums and products rather than np.linalg.norm and @: those go to BLAS, whose threads
    # linger after the call; on 2 cores the next Numba forward pass of 784-256-128-10 then
    # took 4.3 ms instead of 0.6 ms (measured).
    for _ in range(n_directions):
        u = rng.standard_normal(theta.size)
        u /= np.sqrt(np.sum(u * u))
        kinked = False
        results, losses = [], [loss]
        for step in (eps, eps / 2):
            plus, minus = theta + step * u, theta - step * u
            _assign(params, plus)
            loss_plus, signs_plus = loss_and_signs(twin, X64, y64)
            _assign(params, minus)
            loss_minus, signs_minus = loss_and_signs(twin, X64, y64)
            # θ ± h·u is rounded to float64 when stored; dotting the gradient with the steps
            # actually taken keeps that rounding out of the comparison.
            results.append((float(np.sum(grad * (plus - minus))) / (2 * step),
                            (loss_plus - loss_minus) / (2 * step)))
            losses += [loss_plus, loss_minus]
            kinked = kinked or any((s0 != sp).any() or (s0 != sm).any()
                                   for s0, sp, sm in zip(signs, signs_plus, signs_minus))
        _assign(params, theta)
        (analytic, numerical), (analytic_half, numerical_half) = results
        # L at θ + k·(h/2)·u for k = -2..2: their fourth difference, (h/2)⁴·∂⁴L/∂u⁴ (nothing,
        # at h = 1e-5) plus rounding, measures the rounding noise of one loss directly.
        l_0, l_plus, l_minus, l_plus_half, l_minus_half = losses
        fourth = abs(l_plus - 4 * l_plus_half + 6 * l_0 - 4 * l_minus_half + l_minus)
        changes.append(max(abs((numerical - analytic) - (numerical_half - analytic_half)),
                           fourth / (8 * eps)))
        rows.append({"analytic": analytic, "numerical": numerical,
                     "abs_error": abs(analytic - numerical),
                     "relative_error": float(relative_error(analytic, numerical)),
                     "kinked": kinked})
    floor = max([rounding_floor(loss, eps)]
                + [d for d, row in zip(changes, rows) if not row["kinked"]])
    for d, row in zip(changes, rows):
        row["tolerance"] = SAFETY * (d + floor)
    return DirectionalReport(rows, floor, eps)


def _assign(params, flat):
    """Write the flat vector ``flat`` into the parameter arrays, in order."""
    start = 0
    for p in params:
        p[...] = flat[start:start + p.size].reshape(p.shape)
        start += p.size
