"""Training callbacks: the History that ``fit`` returns, and EarlyStopping.

A callback sees the model and the per-epoch logs (``loss``, ``accuracy``, ``val_loss``,
``val_accuracy``, ``seconds``); setting ``model.stop_training = True`` ends ``fit`` after the
current epoch, as in Keras.
"""

from __future__ import annotations

import math

import numpy as np

from ._validation import check_positive_number


class Callback:
    """Base class: every hook does nothing."""

    def on_train_begin(self, model, logs):
        """Called once before the first epoch; ``logs`` names what will be logged."""

    def on_epoch_end(self, model, epoch, logs):
        """Called after each epoch (0-based) with that epoch's logs."""

    def on_train_end(self, model):
        """Called once after training, also when it stopped early."""


class History(Callback):
    """Per-epoch metrics: ``history.history["loss"]`` is a list with one float per epoch."""

    def __init__(self):
        self.history = {}
        self.epoch = []
        #: Why the run looks like it did not learn (see fastmlp.training.health), or None.
        self.warning = None

    def on_train_begin(self, model, logs):
        # Every key from the start, so that a run of 0 epochs (or one stopped in its first
        # epoch) has the same keys as any other.
        self.history = {key: [] for key in logs}
        self.epoch = []

    def on_epoch_end(self, model, epoch, logs):
        self.epoch.append(epoch)
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)

    def plot(self, path=None, **kwargs):
        """Draw loss and accuracy curves, train vs validation (needs matplotlib).

        Parameters
        ----------
        path : str or path-like, optional
            Where to save the figure (PNG, PDF, SVG...); None leaves it open.

        Returns
        -------
        matplotlib.figure.Figure
        """
        from .plots import plot_history

        return plot_history(self, path, **kwargs)

    def __repr__(self):
        return f"History(epochs={len(self.epoch)}, keys={list(self.history)})"


class EarlyStopping(Callback):
    """Stop when a monitored metric has stopped improving.

    Parameters
    ----------
    monitor : str
        A log key: "val_loss" (default), "val_accuracy", "loss" or "accuracy".
    patience : int
        Epochs without improvement to wait before stopping.
    min_delta : float
        The smallest change that counts as an improvement.
    mode : {"auto", "min", "max"}
        "auto" maximises metrics whose name contains "accuracy" and minimises the rest.
    restore_best : bool
        Put back the weights of the best epoch when training ends.
    """

    def __init__(self, monitor="val_loss", patience=5, min_delta=0.0, mode="auto",
                 restore_best=True):
        if not isinstance(monitor, str):
            raise TypeError(f"monitor must be a metric name such as 'val_loss', got {monitor!r}")
        self.monitor = monitor
        self.patience = int(check_positive_number(patience, "patience", allow_zero=True,
                                                  integer=True))
        self.min_delta = float(check_positive_number(abs(min_delta) if isinstance(
            min_delta, (int, float)) else min_delta, "min_delta", allow_zero=True))
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"unknown mode {mode!r}; valid modes are: 'auto', 'min', 'max'")
        self.maximize = mode == "max" or (mode == "auto" and "accuracy" in monitor)
        self.restore_best = bool(restore_best)

    def on_train_begin(self, model, logs):
        if self.monitor not in logs:
            keys = ", ".join(repr(k) for k in logs)
            hint = " (pass validation_data to fit)" if self.monitor.startswith("val_") else ""
            raise ValueError(f"EarlyStopping monitors {self.monitor!r}, which fit will not "
                             f"log{hint}; logged metrics are: {keys}")
        self.best = -math.inf if self.maximize else math.inf
        self.best_epoch = None
        self.best_weights = None
        self.wait = 0
        self.stopped_epoch = None

    def _improved(self, value):
        if self.maximize:
            return value > self.best + self.min_delta
        return value < self.best - self.min_delta

    def on_epoch_end(self, model, epoch, logs):
        value = logs[self.monitor]
        if self._improved(value):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best:
                self.best_weights = [np.copy(p) for p in model.parameters()]
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            model.stop_training = True

    def on_train_end(self, model):
        if self.restore_best and self.best_weights is not None:
            for param, best in zip(model.parameters(), self.best_weights):
                np.copyto(param, best)
