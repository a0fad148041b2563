"""Checking backprop against central differences: per-array and along random directions.

:func:`check_gradients` compares every coordinate (for networks small enough), and
:func:`directional_check` a few random directions (for any size); both report their errors
against the rounding floor of central differences, below which a difference says nothing.
The gradients themselves come from :mod:`fastmlp.gradients`.
"""

from __future__ import annotations

import numpy as np

from ._validation import check_positive_number
from .gradients import analytic_gradients, loss_and_signs, numerical_gradients, param_names


def relative_error(a, b):
    """Element-wise ``|a − b| / max(|a| + |b|, 1e-8)``."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-8)


class GradientReport:
    """Per parameter array: max and median relative error, kinks, error away from kinks.

    ``rows`` is a list of dicts with keys ``name``, ``shape``, ``max_error``,
    ``median_error``, ``kinks`` (coordinates whose ±h perturbation crosses a ReLU kink,
    or None when unknown), ``max_error_off_kinks`` and ``max_error_resolved``.
    ``str(report)`` is a table.

    ``max_error_resolved`` is the relative error over the coordinates, off kinks, whose
    difference ``|a − n|`` exceeds ``floor``, the rounding floor of central differences:
    each loss carries a rounding error of order ``ε·|L|`` (ε = 2.2e-16), so a difference
    quotient cannot resolve gradients to better than about ``ε·|L|/h``; ``floor`` is four
    times that. On a vanishing gradient (say 1e-6, deep in a sigmoid stack) that floor is a
    large *relative* error that says nothing about backprop; the resolved error is the one
    to hold to 1e-6.
    """

    def __init__(self, rows, floor):
        self.rows = rows
        self.floor = floor

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
        """The largest relative error off kinks where ``|a − n|`` exceeds the rounding floor."""
        return max(row["max_error_resolved"] for row in self.rows)

    def __str__(self):
        lines = [f"{'param':<6} {'shape':<12} {'max rel err':>12} {'median':>10} "
                 f"{'kinks':>6} {'max off kinks':>14} {'resolved':>10}"]
        for r in self.rows:
            kinks = "?" if r["kinks"] is None else str(r["kinks"])
            lines.append(f"{r['name']:<6} {str(r['shape']):<12} {r['max_error']:>12.3e} "
                         f"{r['median_error']:>10.2e} {kinks:>6} "
                         f"{r['max_error_off_kinks']:>14.3e} {r['max_error_resolved']:>10.2e}")
        lines.append(f"resolved: off kinks, where |analytic - numerical| > {self.floor:.1e} "
                     f"(4 eps |L| / h, the rounding floor of central differences)")
        return "\n".join(lines)

    __repr__ = __str__


def check_gradients(model, X, y, eps=1e-5):
    """Compare backprop against central differences, both in float64, parameter by parameter.

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
    """
    X, y = model._check_Xy(X, y)
    twin = model.copy(dtype="float64")
    X64 = np.ascontiguousarray(X, dtype=np.float64)
    y64 = y if model.is_classifier else np.asarray(y, dtype=np.float64)
    analytic = analytic_gradients(twin, X64, y64)
    loss = twin._loss.forward(twin.ops, twin._forward(X64), y64)
    numerical, kinks = numerical_gradients(twin, X64, y64, eps=eps, with_kinks=True)
    return compare(analytic, numerical, kinks, rounding_floor(loss, eps), param_names(model))


def rounding_floor(loss, eps):
    """``4 ε |L| / h``: below this a central difference of a loss ``L`` is rounding noise.

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


def compare(analytic, numerical, kinks, floor, names):
    """The :class:`GradientReport` of gradients already computed.

    Parameters
    ----------
    analytic, numerical : list of arrays
        One array per parameter, array ``i`` of both with the same shape.
    kinks : list of bool arrays or None
        Shaped like the gradients, True where the ±h step crosses a ReLU kink; None when
        unknown.
    floor : float
        From :func:`rounding_floor`.
    names : list of str
        One per parameter array, e.g. ``["W1", "b1"]``.

    Returns
    -------
    GradientReport
    """
    rows = []
    for i, (a, n) in enumerate(zip(analytic, numerical)):
        err = relative_error(a, n)
        off_kink = np.ones(err.shape, dtype=bool) if kinks is None else ~np.asarray(kinks[i])
        resolved = off_kink & (np.abs(a - n) > floor)
        rows.append({"name": names[i], "shape": a.shape, "max_error": float(err.max()),
                     "median_error": float(np.median(err)),
                     "kinks": None if kinks is None else int((~off_kink).sum()),
                     "max_error_off_kinks": float(err[off_kink].max(initial=0.0)),
                     "max_error_resolved": float(err[resolved].max(initial=0.0))})
    return GradientReport(rows, floor)


class DirectionalReport:
    """Per random direction ``u``: ``uᵀ∇L`` by backprop against ``(L(θ + hu) − L(θ − hu)) / 2h``.

    ``rows`` is a list of dicts, one per direction, with keys ``analytic`` and ``numerical``
    (the two directional derivatives), ``abs_error`` (``|a − n|``), ``relative_error``
    (``|a − n| / max(|a| + |n|, 1e-8)``) and ``kinked`` (True when the ±h step moves some
    ReLU / leaky-ReLU pre-activation across zero, where the two are expected to differ).
    ``str(report)`` is a table.

    ``floor`` is the rounding floor of the difference quotient, ``4 ε |L| / h`` as in
    :class:`GradientReport`: both losses carry a rounding error of order ``ε·|L|``, so
    ``|a − n|`` below ``floor`` says nothing about backprop. ``max_error_resolved`` is the
    largest relative error over directions off kinks with ``|a − n| > floor``; that is the
    number to hold to about 1e-6.
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
        """The largest relative error off kinks where ``|a − n|`` exceeds the rounding floor."""
        return max((row["relative_error"] for row in self.rows
                    if not row["kinked"] and row["abs_error"] > self.floor), default=0.0)

    def __str__(self):
        lines = [f"{'dir':>3} {'analytic':>14} {'numerical':>14} {'rel err':>9} {'kink':>5}"]
        for i, r in enumerate(self.rows):
            lines.append(f"{i:>3} {r['analytic']:>14.7e} {r['numerical']:>14.7e} "
                         f"{r['relative_error']:>9.2e} {'yes' if r['kinked'] else 'no':>5}")
        lines.append(f"h = {self.eps:g}; |analytic - numerical| below {self.floor:.1e} "
                     f"(4 eps |L| / h) is rounding, not a wrong gradient")
        return "\n".join(lines)

    __repr__ = __str__


def directional_check(model, X, y, n_directions=4, eps=1e-5, seed=None):
    """Check backprop along a few random directions: ``2·n_directions`` forward passes in all.

    For each unit vector ``u`` drawn uniformly over all parameters at once, compares the
    backpropagated ``uᵀ∇L`` with ``(L(θ + hu) − L(θ − hu)) / 2h``. One backward pass and two
    forward passes per direction, whatever the size of the network: the check for networks
    too large for :func:`check_gradients`. Everything runs in float64 on a copy of the model
    (same backend), with dropout off; the model itself is not touched.

    A wrong gradient in any coordinate shows in almost every random direction, but diluted:
    an error ``δ`` in one of ``P`` coordinates moves ``uᵀ∇L`` by about ``δ/√P``. Use
    :func:`check_gradients` to find *which* array is wrong.

    The default ``h = 1e-5`` balances the two errors of a central difference along a unit
    direction, exactly as for one coordinate: truncation ``h²·|∂³L/∂u³|/6`` and rounding
    ``ε·|L|/h`` meet near ``h ≈ (3 ε |L|)^(1/3) ≈ 1e-5`` for ``L`` of order 1. A smaller ``h``
    raises the rounding floor (see :class:`DirectionalReport`); a larger one moves more
    ReLU pre-activations across their kink.

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
    floor = rounding_floor(loss, eps)
    rng = np.random.default_rng(seed)
    rows = []
    # Sums and products rather than np.linalg.norm and @: those go to BLAS, whose threads
    # linger after the call; on 2 cores the next Numba forward pass of 784-256-128-10 then
    # took 4.3 ms instead of 0.6 ms (measured).
    for _ in range(n_directions):
        u = rng.standard_normal(theta.size)
        u /= np.sqrt(np.sum(u * u))
        plus, minus = theta + eps * u, theta - eps * u
        _assign(params, plus)
        loss_plus, signs_plus = loss_and_signs(twin, X64, y64)
        _assign(params, minus)
        loss_minus, signs_minus = loss_and_signs(twin, X64, y64)
        # θ ± h·u is rounded to float64 when stored; dotting the gradient with the steps
        # actually taken keeps that rounding out of the comparison.
        analytic = float(np.sum(grad * (plus - minus))) / (2 * eps)
        numerical = (loss_plus - loss_minus) / (2 * eps)
        kinked = any((s0 != sp).any() or (s0 != sm).any()
                     for s0, sp, sm in zip(signs, signs_plus, signs_minus))
        rows.append({"analytic": analytic, "numerical": numerical,
                     "abs_error": abs(analytic - numerical),
                     "relative_error": float(relative_error(analytic, numerical)),
                     "kinked": kinked})
    return DirectionalReport(rows, floor, eps)


def _assign(params, flat):
    """Write the flat vector ``flat`` into the parameter arrays, in order."""
    start = 0
    for p in params:
        p[...] = flat[start:start + p.size].reshape(p.shape)
        start += p.size
