"""``fit``: validate the arguments, pick a trainer, run the epochs with callbacks.

Both trainers (:class:`~.layerwise.LayerwiseTrainer`, :class:`~.fused.FusedTrainer`) run a
range of batches of one or more epochs per call and report per-epoch sums. What is common to
both is written once: here, the checks of ``fit``'s arguments, the choice of trainer and of
how the epochs run, and the callbacks' begin and end; in :mod:`.epochs`, the epochs
themselves (shuffling, learning rates, logs, progress, and the stop when the loss or the
weights stop being finite).

Calls are kept short (about :data:`CALL_SECONDS` each, measured as training goes by a
:class:`~.pacing.Pacer`), so Ctrl-C, which Python can only act on between calls into compiled
code, takes effect within a fraction of a second; a trainer never leaves half an update
behind, and ``model.history`` keeps the epochs completed so far.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_positive_number, check_sample_weight
from ..callbacks import Callback, History
from ..optim import Adam, get_optimizer
from . import health
from .epochs import epoch_by_epoch, whole_run
from .fused import FusedTrainer, supports
from .layerwise import LayerwiseTrainer
from .pacing import Pacer
from .team import evaluating_beside

#: Target duration of one trainer call: short enough for Ctrl-C to feel immediate, long
#: enough that the per-call cost (well under a millisecond) is lost in the noise. Read by
#: ``fit`` on every call, so setting it here changes the pacing of the next ``fit``.
CALL_SECONDS = 0.1
#: Whole runs go to the kernel in calls of several epochs only when an epoch is surely
#: shorter than a call: rows x parameters below this is an epoch of at most ~1.2e9
#: floating-point operations (6 per row and parameter), under 0.1 s at 12 GFLOP/s.
_WHOLE_RUN_WORK = 2e8


def fit(model, X, y, epochs=1, batch_size=32, optimizer=None, shuffle=True,
        validation_data=None, verbose=1, callbacks=None, sample_weight=None, initial_epoch=0):
    """Train ``model`` on ``X`` and ``y``.

    Parameters
    ----------
    model : Sequential
    X : (n, n_in) array-like
    y : (n,) int labels or (n, k) one-hot for classifiers; (n, k) or (n,) targets for regression.
    epochs : int
        Passes over the data (0 trains nothing and returns an empty History).
    batch_size : int or None
        Samples per step; None means the full batch. The last, smaller batch is used.
    optimizer : Optimizer or str or None
        An instance (its state carries over between fit calls), a name ("adam", "sgd",
        "rmsprop", "adamw") with default settings, or None to keep the model's current
        optimizer (Adam at first).
    shuffle : bool
        Reshuffle the samples every epoch (from the model's seeded generator).
    validation_data : (X_val, y_val) or None
        Evaluated after every epoch into ``val_loss`` / ``val_accuracy``.
    verbose : {0, 1, 2}
        0 silent, 1 a progress bar per epoch and a summary line, 2 one line per epoch.
    callbacks : list of Callback
    sample_weight : (n,) array-like or None
        Non-negative finite weights, one per sample, not all zero. Each batch's loss (and so
        its gradient) is then the weighted mean ``sum_i w_i l_i / sum_i w_i`` over the batch,
        as scikit-learn's MLP computes it: integer weights train exactly as repeating rows in
        one full batch would, and rows of weight 0 are ignored (a batch whose weights are all
        0 makes no update). The logged "loss" is the weighted mean over the epoch; accuracy
        stays unweighted (as Keras' metrics without ``weighted_metrics``).
    initial_epoch : int
        The epoch to start at (0-based), as in Keras: ``fit`` runs ``epochs -
        initial_epoch`` epochs, numbered on from ``initial_epoch`` in the printed lines
        (``epoch 4/6``), ``history.epoch`` and the callbacks (a ``ModelCheckpoint``'s
        ``{epoch}``), to continue a run that stopped there. Only the numbering: the
        learning-rate schedule counts on from the optimizer's own epoch count.

    Returns
    -------
    History
        ``history.history`` maps "loss", "accuracy", "val_loss", "val_accuracy" and
        "seconds" to one value per epoch. The same object is ``model.history``, also when
        training stops on an error or Ctrl-C.

    Raises
    ------
    FloatingPointError
        When the loss or the weights stop being finite; the model keeps the weights and
        optimizer state of the last step whose loss was finite.
    """
    # Pixels (8/16-bit integers) stay as they are; the trainers convert them batch by batch.
    X, y, largest = model._check_Xy(X, y, compact=True, measure=True)
    weights = check_sample_weight(sample_weight, len(X), model.dtype)
    epochs = int(check_positive_number(epochs, "epochs", allow_zero=True, integer=True))
    initial_epoch = int(check_positive_number(initial_epoch, "initial_epoch", allow_zero=True,
                                              integer=True))
    if initial_epoch > epochs:
        raise ValueError(f"initial_epoch ({initial_epoch}) is past epochs ({epochs}): epochs is "
                         f"the number of the last epoch of the whole run, as in Keras, so give "
                         f"epochs={initial_epoch} + the epochs to train")
    if batch_size is None:
        batch_size = len(X)
    batch_size = min(int(check_positive_number(batch_size, "batch_size", integer=True)), len(X))
    if verbose not in (0, 1, 2, True, False):
        raise ValueError(f"verbose must be 0, 1 or 2, got {verbose!r}")
    if not isinstance(shuffle, (bool, np.bool_)):
        raise TypeError(f"shuffle must be True or False, got {type(shuffle).__name__} "
                        f"{shuffle!r}")
    validation = _check_validation(model, validation_data)
    callbacks = _check_callbacks(callbacks)

    health.check_input_scale(largest, X.dtype)
    if optimizer is not None:
        model.optimizer = get_optimizer(optimizer)
    elif model.optimizer is None:
        model.optimizer = Adam()
    model.optimizer.bind(model._params)
    trainer = (FusedTrainer if supports(model, model.optimizer) else LayerwiseTrainer)(
        model, X, y, batch_size, weights)
    with evaluating_beside(trainer):
        start = health.baseline(model, X, y, weights)
    shuffling = bool(shuffle) and batch_size < len(X)
    history = model.history = History()
    callbacks = [history, *callbacks]
    model.stop_training = False
    for cb in callbacks:
        cb.on_train_begin(model, dict.fromkeys(_log_keys(model, validation is not None)))
    try:
        pacer = Pacer(trainer.n_batches, CALL_SECONDS)
        if (isinstance(trainer, FusedTrainer) and not verbose and validation is None
                and len(callbacks) == 1 and len(X) * model.flat_params.size <= _WHOLE_RUN_WORK
                and not trainer.drops):
            whole_run(model, trainer, pacer, initial_epoch, epochs, shuffling, history)
        else:
            epoch_by_epoch(model, trainer, pacer, initial_epoch, epochs, shuffling, validation,
                           verbose, callbacks, weights)
    finally:
        for cb in callbacks:
            cb.on_train_end(model)
    health.warn_if_diverged(history, start)
    return history


def _check_validation(model, validation_data):
    if validation_data is None:
        return None
    if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
        raise ValueError(f"validation_data must be a pair (X_val, y_val), got "
                         f"{_describe(validation_data)}")
    try:
        return model._check_Xy(*validation_data, compact=True)
    except (TypeError, ValueError) as err:
        raise type(err)(f"validation_data: {err}") from None


def _check_callbacks(callbacks):
    if isinstance(callbacks, Callback) or not isinstance(callbacks, (list, tuple, type(None))):
        raise TypeError(f"callbacks must be a list of Callback instances, e.g. "
                        f"callbacks=[EarlyStopping()], got {callbacks!r}")
    for cb in callbacks or []:
        if not isinstance(cb, Callback):
            raise TypeError(f"callbacks must be Callback instances, got {cb!r}")
    return list(callbacks or [])


def _describe(value):
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of {len(value)} items"
    return type(value).__name__


def _log_keys(model, with_validation):
    keys = ["loss", "accuracy"] if model.is_classifier else ["loss"]
    if with_validation:
        keys += [f"val_{key}" for key in keys]
    return [*keys, "seconds"]
