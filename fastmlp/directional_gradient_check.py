"""Checking backprop along a few random directions, for networks of any size.

Along a unit direction ``u`` over all parameters at once, the backpropagated ``uᵀ∇L`` is
compared with the central difference ``(L(θ + hu) − L(θ − hu)) / 2h``: one backward pass and
four forward passes per direction, whatever the number of parameters. It tells *whether*
backprop is wrong, not where; :mod:`fastmlp.gradient_check` compares every coordinate of
networks small enough. The tolerance of each difference comes from
:mod:`fastmlp.gradient_tolerance`.
"""

from __future__ import annotations

import numpy as np

from ._validation import check_positive_number
from .gradient_tolerance import SAFETY, relative_error, rounding_floor
from .gradients import analytic_gradients, loss_and_signs


class DirectionalReport:
    """Per random direction ``u``: ``uᵀ∇L`` by backprop against ``(L(θ + hu) − L(θ − hu)) / 2h``.

    ``rows`` is a list of dicts, one per direction, with keys ``analytic`` and ``numerical``
    (the two directional derivatives), ``abs_error`` (``|a − n|``), ``relative_error``
    (``|a − n| / max(|a| + |n|, 1e-8)``), ``tolerance`` (the difference a correct gradient
    can show) and ``kinked`` (True when the ±h step moves some ReLU / leaky-ReLU
    pre-activation across zero, where the two are expected to differ). ``str(report)`` is a
    table.

    The tolerance is estimated as in :class:`~fastmlp.gradient_check.GradientReport`: every
    difference quotient is also taken at ``h/2``, and ``tolerance = SAFETY · (|d| + floor)``
    with ``d`` the change of ``n − a`` between the two steps and ``floor`` the rounding noise:
    the largest ``|d|`` over directions off kinks, or the rounding measured by the fourth
    difference of the five losses at ``θ + k·(h/2)·u``, ``k = −2..2`` (a loss-independent
    measure; with few directions ``d`` alone may vanish by chance), and at least
    ``4 ε |L| / h``.
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
    the check for networks too large for :func:`~fastmlp.gradient_check.check_gradients`.
    Everything runs in float64 on a copy of the model (same backend), with dropout off; the
    model itself is not touched.

    A wrong gradient in any coordinate shows in almost every random direction, but diluted:
    an error ``δ`` in one of ``P`` coordinates moves ``uᵀ∇L`` by about ``δ/√P``. Use
    :func:`~fastmlp.gradient_check.check_gradients` to find *which* array is wrong.

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
