"""Did training learn? The checks ``fit`` runs around a run that raised no error.

A run can stay finite and still fail: with ``SGD(1e6)`` the loss of a digits network reaches
7.9e20 and settles around 4.5e5 with an accuracy of 0.10. ``fit`` then warns with a
:class:`DivergenceWarning` (and the command line prints a ``warning`` line in its report):

- **the loss exploded**: some epoch's mean training loss is over :data:`EXPLOSION` times the
  loss of the weights ``fit`` started from (measured on up to :data:`BASELINE_ROWS` rows);
- **no better than chance**: a classifier's training accuracy in the last epoch is at most
  that of always predicting the most common class (not judged with sample weights, which
  training may rightly trade that accuracy for).

Inputs so large that ``dtype`` arithmetic overflows get a warning before training
(:func:`check_input_scale`), and an optimizer whose state overflowed stops training with a
``FloatingPointError`` (:func:`check_optimizer_state`), instead of stalling in silence.
"""

from __future__ import annotations

import warnings

import numpy as np

#: How far above the starting loss an epoch's loss counts as an explosion.
EXPLOSION = 100.0
#: Rows the starting loss is measured on (the first ones): a forward pass, not an epoch.
BASELINE_ROWS = 1024


class DivergenceWarning(RuntimeWarning):
    """Training ended without an error but did not learn (see :mod:`fastmlp.training.health`)."""


def baseline(model, X, y, weights=None):
    """``(loss before training, accuracy of always predicting the most common class)``.

    ``X``, ``y`` and the sample ``weights`` (or None) are already validated. The loss is
    weighted as training's is. The accuracy is None for regression, and with sample weights:
    training then aims at the weighted loss, and may rightly trade the logged (unweighted)
    accuracy for it, so it is not held against the majority class.
    """
    rows = slice(0, BASELINE_ROWS)
    some = None if weights is None else weights[rows]
    if some is not None and not some.any():  # the first rows weigh nothing: use them as is
        some = None
    # On the NumPy reference ops: one forward pass over a few rows is as quick there, and a
    # first fit then compiles no inference kernels of the fast path (about 1.5 s of its
    # cold start) for a number it only compares with a threshold.
    backend = model.backend
    try:
        with np.errstate(all="ignore"):
            loss = model.to_backend("numpy")._evaluate(X[rows], y[rows], some)["loss"]
    finally:
        model.to_backend(backend)
    chance = None
    if model.is_classifier and weights is None:
        chance = float(np.bincount(y).max() / len(y))
    return loss, chance


def diagnose(history, start):
    """The reason training did not learn, or None; ``start`` is what :func:`baseline` gave."""
    losses = history.history.get("loss", [])
    if not losses:
        return None
    start_loss, chance = start
    worst = max(losses)
    if np.isfinite(start_loss) and worst > EXPLOSION * start_loss:
        return (f"the training loss exploded: it reached {worst:.3g}, over {EXPLOSION:g} times "
                f"its value before training ({start_loss:.3g}); lower the learning rate or "
                f"scale the inputs")
    accuracy = history.history.get("accuracy")
    if chance is not None and accuracy and accuracy[-1] <= chance:
        return (f"training ended no better than chance: training accuracy {accuracy[-1]:.3f}, "
                f"while always predicting the most common class gives {chance:.3f}; check "
                f"the labels, lower the learning rate, or train longer")
    return None


def warn_if_diverged(history, start):
    """Warn with :class:`DivergenceWarning` when :func:`diagnose` finds a reason; keep it as
    ``history.warning`` (None when training looks healthy)."""
    history.warning = diagnose(history, start)
    if history.warning is not None:
        warnings.warn(history.warning, DivergenceWarning, stacklevel=4)


#: Beyond these magnitudes, squares and sums of products overflow the dtype (float32's
#: largest value is 3.4e38; a gradient's square must stay below it).
_SAFE_INPUT = {np.dtype(np.float32): 1e18, np.dtype(np.float64): 1e150}


def check_input_scale(largest, dtype, what="X"):
    """Warn when inputs of ``dtype`` whose largest magnitude is ``largest`` (None: integers,
    the 8- and 16-bit ones ``fit`` keeps as they are, which cannot be that large) would
    overflow training or inference in that dtype. ``largest`` comes from the input checks'
    scan for NaN/inf (:func:`fastmlp._validation.check_X`): no second pass over the data."""
    limit = _SAFE_INPUT.get(np.dtype(dtype))
    if largest is None or limit is None or largest <= limit:
        return
    warnings.warn(
        f"{what} holds values as large as {largest:.3g}; {np.dtype(dtype).name} arithmetic "
        f"overflows on such inputs (it tops out at {np.finfo(dtype).max:.3g}), so results "
        f"would be inf or NaN. Scale the inputs (e.g. divide by their largest value, or "
        f"sklearn.preprocessing.StandardScaler) or use dtype='float64'",
        RuntimeWarning, stacklevel=4)


def check_optimizer_state(optimizer):
    """Raise FloatingPointError if the optimizer's state overflowed (e.g. Adam's second
    moment in float32), which would otherwise freeze training at a finite loss."""
    for name, flat in optimizer.flat_state.items():
        if not np.isfinite(flat).all():
            raise FloatingPointError(
                f"the optimizer's state {name!r} became non-finite (it overflowed "
                f"{flat.dtype.name}), so training could no longer move the weights; the "
                f"weights are the last ones computed. Scale the inputs, lower the learning "
                f"rate, or use dtype='float64'")
