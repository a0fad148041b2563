"""The training loop behind ``model.fit``: batching, the optimizer step, logs, callbacks.

Each step runs forward, loss, backward and the optimizer update on buffers that are reused
from step to step; the batch is gathered into a reused buffer too. A non-finite loss stops
training with the weights of the last step whose loss was finite.
"""

from __future__ import annotations

import math
import sys
import time

import numpy as np

from ._fused import FusedTrainer, supports
from ._validation import check_positive_number
from .callbacks import Callback, History
from .optim import Adam, get_optimizer


def fit(model, X, y, epochs=1, batch_size=32, optimizer=None, shuffle=True,
        validation_data=None, verbose=1, callbacks=None):
    """Train ``model`` on ``X`` and ``y``.

    Parameters
    ----------
    model : Sequential
    X : (n, n_in) array-like
    y : (n,) int labels or (n, k) one-hot for classifiers; (n, k) or (n,) targets for regression.
    epochs : int
        Passes over the data.
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

    Returns
    -------
    History
        ``history.history`` maps "loss", "accuracy", "val_loss", "val_accuracy" and
        "seconds" to one value per epoch.
    """
    X, y = model._check_Xy(X, y)
    epochs = int(check_positive_number(epochs, "epochs", allow_zero=True, integer=True))
    if batch_size is None:
        batch_size = len(X)
    batch_size = min(int(check_positive_number(batch_size, "batch_size", integer=True)), len(X))
    if verbose not in (0, 1, 2, True, False):
        raise ValueError(f"verbose must be 0, 1 or 2, got {verbose!r}")
    if not isinstance(shuffle, (bool, np.bool_)):
        raise TypeError(f"shuffle must be True or False, got {type(shuffle).__name__} "
                        f"{shuffle!r}")
    validation = None
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise ValueError(f"validation_data must be a pair (X_val, y_val), got "
                             f"{_describe(validation_data)}")
        try:
            validation = model._check_Xy(*validation_data)
        except (TypeError, ValueError) as err:
            raise type(err)(f"validation_data: {err}") from None
    if isinstance(callbacks, Callback) or not isinstance(callbacks, (list, tuple, type(None))):
        raise TypeError(f"callbacks must be a list of Callback instances, e.g. "
                        f"callbacks=[EarlyStopping()], got {callbacks!r}")
    callbacks = list(callbacks or [])
    for cb in callbacks:
        if not isinstance(cb, Callback):
            raise TypeError(f"callbacks must be Callback instances, got {cb!r}")

    if optimizer is not None:
        model.optimizer = get_optimizer(optimizer)
    elif model.optimizer is None:
        model.optimizer = Adam()
    opt = model.optimizer
    opt.bind(model._params)

    # Weights before the latest update, to fall back on if that update makes the loss non-finite.
    backup = np.copy(model._flat_params)
    fused = FusedTrainer(model, X, y, batch_size, backup) if supports(model, opt) else None
    batches = _Batches(X, y)
    shuffling = bool(shuffle) and batch_size < len(X)
    history = History()
    callbacks = [history, *callbacks]
    log_keys = _log_keys(model, validation is not None)
    model.stop_training = False
    for cb in callbacks:
        cb.on_train_begin(model, dict.fromkeys(log_keys))
    try:
        if fused is not None and _one_call_is_enough(fused, verbose, validation, callbacks,
                                                     epochs, X):
            _fit_in_one_call(model, fused, epochs, shuffling, history, backup)
            return history
        for epoch in range(epochs):
            opt.start_epoch(epoch)
            start = time.perf_counter()
            if fused is not None:
                loss, accuracy = _fused_epoch(model, fused, shuffling, epoch, epochs, verbose)
            else:
                loss, accuracy = _run_epoch(model, batches, backup, batch_size, shuffling,
                                            epoch, epochs, verbose)
            logs = {"loss": loss}
            if model.is_classifier:
                logs["accuracy"] = accuracy
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
    finally:
        for cb in callbacks:
            cb.on_train_end(model)
    return history


def _describe(value):
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of {len(value)} items"
    return type(value).__name__


def _stop(model, backup, what, epoch, step):
    """Put back the weights saved before the latest update and raise FloatingPointError."""
    np.copyto(model._flat_params, backup)
    raise FloatingPointError(
        f"{what} at epoch {epoch + 1}, step {step + 1}; training stopped with the weights of "
        f"the last finite step. Try a smaller learning rate (now "
        f"{model.optimizer.current_lr:g}), scaling the inputs, or gradient-friendlier "
        f"initialisation")


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


def _one_call_is_enough(trainer, verbose, validation, callbacks, epochs, X):
    """Whole runs go to the kernel in one call when nothing needs Python between epochs:
    that is what makes tiny networks fast. The limit keeps the stacked orders small. With
    dropout, runs go epoch by epoch so that the generator hands out shuffles and masks in
    the same order as on the layer-by-layer path."""
    return (not verbose and validation is None and len(callbacks) == 1
            and epochs * len(X) <= 4_000_000 and not trainer.drops.any())


def _fit_in_one_call(model, trainer, epochs, shuffling, history, backup):
    """All epochs in one kernel call; per-epoch logs from the kernel's sums."""
    opt, n = model.optimizer, trainer.n
    lrs = [opt.lr_at(epoch) for epoch in range(epochs)]
    orders = np.stack([model._rng.permutation(n) for _ in range(epochs)]) if shuffling else None
    start = time.perf_counter()
    loss_sums, correct, bad = trainer.run(lrs, orders, 0, trainer.n_batches)
    seconds = (time.perf_counter() - start) / max(epochs, 1)  # the mean: one call for all
    if epochs:
        opt.current_lr = lrs[-1]
    done = epochs if bad is None else bad[0]
    # Filled in one go: a Python call per epoch would cost more than a tiny net's step.
    logs = {"loss": (loss_sums[:done] / n).tolist()}
    if model.is_classifier:
        logs["accuracy"] = (correct[:done] / n).tolist()
    logs["seconds"] = [seconds] * done
    history.history = logs
    history.epoch = list(range(done))
    if bad is not None:
        epoch, step, loss = bad
        _stop(model, backup, f"the loss became {loss}", epoch, step)
    if not np.isfinite(model._flat_params).all():
        _stop(model, backup, "the weights became non-finite", epochs - 1, trainer.n_batches - 1)


def _fused_epoch(model, trainer, shuffling, epoch, epochs, verbose):
    """One epoch through the fused kernel, in chunks of batches when a progress bar shows."""
    n, n_batches = trainer.n, trainer.n_batches
    order = model._rng.permutation(n)[None, :] if shuffling else None
    progress = _progress(n, epoch, epochs) if verbose == 1 else None
    chunk = n_batches if progress is None else max(1, n_batches // 50)
    total_loss, correct = 0.0, 0
    for begin in range(0, n_batches, chunk):
        end = min(begin + chunk, n_batches)
        loss_sums, hits, bad = trainer.run([model.optimizer.current_lr], order, begin, end)
        total_loss += loss_sums[0]
        correct += int(hits[0])
        if bad is not None:
            _stop(model, trainer.backup, f"the loss became {bad[2]}", epoch, bad[1])
        if progress is not None:
            done = min(end * trainer.batch_size, n)
            progress.update(done - progress.n)
            progress.set_postfix(loss=f"{total_loss / done:.4f}", refresh=False)
    if progress is not None:
        progress.close()
    if not np.isfinite(model._flat_params).all():
        _stop(model, trainer.backup, "the weights became non-finite", epoch, n_batches - 1)
    return total_loss / n, correct / n


def _run_epoch(model, batches, backup, batch_size, shuffling, epoch, epochs, verbose):
    """One pass over the data, layer by layer through the backend ops; returns the
    sample-weighted mean loss and accuracy."""
    n = len(batches.X)
    order = model._rng.permutation(n) if shuffling else None
    opt = model.optimizer
    total_loss, correct = 0.0, 0
    progress = _progress(n, epoch, epochs) if verbose == 1 else None
    for step, start in enumerate(range(0, n, batch_size)):
        stop = min(start + batch_size, n)
        xb, yb = batches.take(order, start, stop)
        out = model._forward(xb, training=True)
        loss = model._loss.forward(model.ops, out, yb)
        if not math.isfinite(loss):
            # The previous update produced weights with a non-finite loss: undo it.
            _stop(model, backup, f"the loss became {loss}", epoch, step)
        model._backward(model._loss.backward(model.ops))
        np.copyto(backup, model._flat_params)
        opt.step(model._params, model._grads, model.ops)
        total_loss += loss * (stop - start)
        if model.is_classifier:
            correct += int(np.count_nonzero(out.argmax(axis=1) == yb))
        if progress is not None:
            progress.update(stop - start)
            progress.set_postfix(loss=f"{total_loss / stop:.4f}", refresh=False)
    if progress is not None:
        progress.close()
    # No later loss checks the epoch's last update (fit may end here): check the weights.
    if not np.isfinite(model._flat_params).all():
        _stop(model, backup, "the weights became non-finite", epoch, step)
    return total_loss / n, correct / n


class _Batches:
    """Gathers shuffled batches into buffers reused across steps and epochs."""

    def __init__(self, X, y):
        self.X, self.y = X, y
        self._buffers = {}

    def take(self, order, start, stop):
        if order is None:
            return self.X[start:stop], self.y[start:stop]
        size = stop - start
        if size not in self._buffers:  # the full size and the last partial batch
            self._buffers[size] = (np.empty((size, *self.X.shape[1:]), dtype=self.X.dtype),
                                   np.empty((size, *self.y.shape[1:]), dtype=self.y.dtype))
        xb, yb = self._buffers[size]
        idx = order[start:stop]
        np.take(self.X, idx, axis=0, out=xb)
        np.take(self.y, idx, axis=0, out=yb)
        return xb, yb


def _progress(n, epoch, epochs):
    from tqdm.auto import tqdm

    # disable=None: no bar when stderr is not a terminal, so logs and pipes stay clean.
    return tqdm(total=n, desc=f"epoch {epoch + 1}/{epochs}", unit="sample", unit_scale=True,
                leave=False, file=sys.stderr, dynamic_ncols=True, disable=None)
