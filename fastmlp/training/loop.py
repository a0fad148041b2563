"""``fit``: validate, pick a trainer, run one epoch loop with callbacks.

Both trainers (:class:`~.layerwise.LayerwiseTrainer`, :class:`~.fused.FusedTrainer`) run a
range of batches of one or more epochs per call and report per-epoch sums; everything else
is here, once: shuffling, learning rates, logs, callbacks, progress, and the stop when the
loss or the weights stop being finite.

Calls are kept short (about :data:`CALL_SECONDS` each, measured as training goes by a
:class:`~.pacing.Pacer`), so Ctrl-C, which Python can only act on between calls into compiled
code, takes effect within a fraction of a second; a trainer never leaves half an update
behind, and ``model.history`` keeps the epochs completed so far.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from .._validation import check_positive_number, check_sample_weight
from ..callbacks import Callback, History
from ..optim import Adam, get_optimizer
from . import health
from .fused import FusedTrainer, supports
from .layerwise import LayerwiseTrainer
from .pacing import Pacer

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
    X, y = model._check_Xy(X, y, compact=True)
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

    health.check_input_scale(X)
    start = health.baseline(model, X, y, weights)
    if optimizer is not None:
        model.optimizer = get_optimizer(optimizer)
    elif model.optimizer is None:
        model.optimizer = Adam()
    model.optimizer.bind(model._params)
    trainer = (FusedTrainer if supports(model, model.optimizer) else LayerwiseTrainer)(
        model, X, y, batch_size, weights)
    shuffling = bool(shuffle) and batch_size < len(X)
    history = model.history = History()
    callbacks = [history, *callbacks]
    model.stop_training = False
    for cb in callbacks:
        cb.on_train_begin(model, dict.fromkeys(_log_keys(model, validation is not None)))
    try:
        if (isinstance(trainer, FusedTrainer) and not verbose and validation is None
                and len(callbacks) == 1 and len(X) * model.flat_params.size <= _WHOLE_RUN_WORK
                and not trainer.drops):
            _whole_run(model, trainer, initial_epoch, epochs, shuffling, history)
        else:
            _epoch_by_epoch(model, trainer, initial_epoch, epochs, shuffling, validation,
                            verbose, callbacks, weights)
    finally:
        for cb in callbacks:
            cb.on_train_end(model)
    health.warn_if_diverged(history, start)
    return history


def _epoch_by_epoch(model, trainer, initial_epoch, epochs, shuffling, validation, verbose,
                    callbacks, weights=None):
    """The epoch loop: batches in paced chunks, then logs and callbacks after each epoch.

    ``epoch`` is the run's number (from ``initial_epoch``); the optimizer counts this call's.
    """
    opt, pacer = model.optimizer, Pacer(trainer.n_batches, CALL_SECONDS)
    for epoch in range(initial_epoch, epochs):
        opt.start_epoch(epoch - initial_epoch)
        start = time.perf_counter()
        order = model._rng.permutation(trainer.n)[None, :] if shuffling else None
        progress = _progress(trainer.n, epoch, epochs) if verbose == 1 else None
        # The bar's running loss is a weighted mean: it needs the weight of the rows done.
        weight_done = None
        if progress is not None and weights is not None:
            weight_done = np.cumsum(weights if order is None else weights[order[0]],
                                    dtype=np.float64)
        # One pair of sums for all the epoch's calls: it adds up in the order of one call.
        sums, hits, begin = np.zeros(1), np.zeros(1, dtype=np.int64), 0
        while begin < trainer.n_batches:
            end = min(begin + pacer.chunk(progress is not None), trainer.n_batches)
            tick = time.perf_counter()
            bad = trainer.run([opt.current_lr], order, begin, end, sums, hits)
            pacer.measured(end - begin, time.perf_counter() - tick)
            if bad is not None:
                _stop(trainer, f"the loss became {bad[2]}", epoch, bad[1])
            if progress is not None:
                done = min(end * trainer.batch_size, trainer.n)
                progress.update(done - progress.n)
                seen = done if weight_done is None else weight_done[done - 1]
                progress.set_postfix(loss=f"{sums[0] / max(seen, 1e-300):.4f}",
                                     refresh=False)
            begin = end
        if progress is not None:
            progress.close()
        # No later loss checks the epoch's last update (fit may end here): check the weights.
        if not np.isfinite(model.flat_params).all():
            _stop(trainer, "the weights became non-finite", epoch, trainer.n_batches - 1)
        health.check_optimizer_state(opt)
        logs = {"loss": float(sums[0]) / trainer.total_weight}
        if model.is_classifier:
            logs["accuracy"] = int(hits[0]) / trainer.n
        if validation is not None:
            for key, value in model._evaluate(*validation).items():
                logs[f"val_{key}"] = value
        logs["seconds"] = time.perf_counter() - start
        if verbose:
            print(_epoch_line(epoch, epochs, logs), file=sys.stderr if verbose == 1
                  else sys.stdout, flush=True)
        for cb in callbacks:
            cb.on_epoch_end(model, epoch, logs)
        if model.stop_training:
            break


def _whole_run(model, trainer, initial_epoch, epochs, shuffling, history):
    """Several epochs per kernel call: when nothing needs Python between epochs, this is what
    makes tiny networks fast. Per-epoch logs come from the kernel's sums, filled in per call
    (a Python call per epoch would cost more than a tiny net's epoch); each epoch of a call
    logs the call's mean duration. Only without dropout: the shuffles of a call are drawn
    before its masks would be, unlike epoch by epoch.

    Epochs are counted here as this call's (from 0); ``initial_epoch`` only numbers them.
    """
    opt, pacer = model.optimizer, Pacer(trainer.n_batches, CALL_SECONDS)
    first, epochs = 0, epochs - initial_epoch
    while first < epochs:
        count = min(pacer.chunk(False) // trainer.n_batches or 1, epochs - first)
        lrs, schedule_error = [], None
        for epoch in range(first, first + count):
            try:
                opt.start_epoch(epoch)
            except ValueError as err:  # train up to that epoch, as epoch by epoch would
                schedule_error = err
                break
            lrs.append(opt.current_lr)
        if not lrs:
            raise schedule_error
        count = len(lrs)
        orders = (np.stack([model._rng.permutation(trainer.n) for _ in lrs]) if shuffling
                  else None)
        sums, hits = np.zeros(count), np.zeros(count, dtype=np.int64)
        tick = time.perf_counter()
        try:
            bad = trainer.run(lrs, orders, 0, trainer.n_batches, sums, hits)
        except KeyboardInterrupt:  # log the epochs the call completed, then stop
            steps = trainer.last_call_steps
            # The schedule was set up for the whole call: count only the epochs begun.
            begun = max(1, -(-steps // trainer.n_batches))
            opt.rewind_to_epoch(first + begun - 1, lrs[begun - 1])
            _log_epochs(model, history, initial_epoch + first, steps // trainer.n_batches,
                        sums, hits, trainer, time.perf_counter() - tick)
            raise
        seconds = time.perf_counter() - tick
        pacer.measured(count * trainer.n_batches, seconds)
        done = count if bad is None else bad[0]
        _log_epochs(model, history, initial_epoch + first, done, sums, hits, trainer,
                    seconds / count)
        if bad is not None:
            opt.rewind_to_epoch(first + done, lrs[done])
            _stop(trainer, f"the loss became {bad[2]}", initial_epoch + first + done, bad[1])
        first += count
        if not np.isfinite(model.flat_params).all():
            _stop(trainer, "the weights became non-finite", initial_epoch + first - 1,
                  trainer.n_batches - 1)
        health.check_optimizer_state(opt)
        if schedule_error is not None:
            raise schedule_error


def _log_epochs(model, history, first, done, sums, hits, trainer, seconds):
    """Append ``done`` epochs, from epoch ``first`` on, of a whole-run call to ``history``."""
    logs = history.history
    logs["loss"] += (sums[:done] / trainer.total_weight).tolist()
    if model.is_classifier:
        logs["accuracy"] += (hits[:done] / trainer.n).tolist()
    logs["seconds"] += [seconds] * done
    history.epoch += range(first, first + done)


def _stop(trainer, what, epoch, step):
    """Undo the latest update (weights and optimizer state) and raise FloatingPointError."""
    trainer.undo_step()
    raise FloatingPointError(
        f"{what} at epoch {epoch + 1}, step {step + 1}; training stopped with the weights of "
        f"the last finite step. Try a smaller learning rate (now "
        f"{trainer.model.optimizer.current_lr:g}), scaling the inputs, or gradient-friendlier "
        f"initialisation")


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


def _epoch_line(epoch, epochs, logs):
    parts = [f"epoch {epoch + 1}/{epochs}"]
    for key, value in logs.items():
        parts.append(f"{key} {value:.2f}s" if key == "seconds" else f"{key} {value:.4f}")
    return "  ".join(parts)


def _progress(n, epoch, epochs):
    from tqdm.auto import tqdm

    # disable=None: no bar when stderr is not a terminal, so logs and pipes stay clean.
    return tqdm(total=n, desc=f"epoch {epoch + 1}/{epochs}", unit="sample", unit_scale=True,
                leave=False, file=sys.stderr, dynamic_ncols=True, disable=None)
