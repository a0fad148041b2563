"""ModelCheckpoint: save the model during training, every few epochs or when it improves.

A checkpoint is an ordinary model file, written by :meth:`fastmlp.Sequential.save` and read
by :func:`fastmlp.load`: it carries the optimizer and the random generator's state, so
loading one and calling ``fit`` for the remaining epochs continues the run exactly. Every
write is atomic, so a run killed mid-save leaves the previous checkpoint intact.
"""

from __future__ import annotations

import math
import numbers
import os
import string

from ._atomic import check_writable
from .callbacks import Callback


class ModelCheckpoint(Callback):
    """Save the model at the end of an epoch, like Keras's callback of the same name.

    Parameters
    ----------
    path : str or path-like
        Where to write. It may name fields filled in at each save: ``{epoch}`` (1-based, as
        printed by ``fit``; ``{epoch:03d}`` works too) and any logged metric, such as
        ``{val_loss:.4f}``, so ``"run-{epoch:03d}.npz"`` keeps one file per save.
    monitor : str
        The metric that decides what "best" means with ``save_best_only``: ``"val_loss"``
        (default), ``"val_accuracy"``, ``"loss"`` or ``"accuracy"``.
    save_best_only : bool
        Save only when ``monitor`` improved on the best value seen at earlier saves (so
        ``path`` holds the best model so far); False saves at every ``every``-th epoch.
    every : int
        Consider saving at every ``every``-th epoch (1 = each epoch).
    mode : {"auto", "min", "max"}
        "auto" maximises metrics whose name contains "accuracy" and minimises the rest.

    Attributes
    ----------
    best : float
        The best monitored value at a save so far (inf or -inf before the first).
    saved : list of str
        The paths written, in order.
    """

    def __init__(self, path, monitor="val_loss", save_best_only=True, every=1, mode="auto"):
        path = os.fspath(path)
        if not isinstance(path, str) or not path:
            raise ValueError(f"path must be a non-empty file name, got {path!r}")
        self.fields = _fields(path)
        self.path = path
        if not isinstance(monitor, str):
            raise TypeError(f"monitor must be a metric name such as 'val_loss', got {monitor!r}")
        self.monitor = monitor
        if not isinstance(save_best_only, bool):
            raise TypeError(f"save_best_only must be True or False, got {save_best_only!r}")
        self.save_best_only = save_best_only
        if isinstance(every, bool) or not isinstance(every, numbers.Integral) or every < 1:
            raise ValueError(f"every must be a positive integer (save every N epochs), got "
                             f"{every!r}")
        self.every = int(every)
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"unknown mode {mode!r}; valid modes are: 'auto', 'min', 'max'")
        self.maximize = mode == "max" or (mode == "auto" and "accuracy" in monitor)
        self.best = -math.inf if self.maximize else math.inf
        self.saved = []

    def on_train_begin(self, model, logs):
        # Whatever would fail at the first save fails now, before any epoch is spent.
        needed = ({self.monitor} if self.save_best_only else set()) | (self.fields - {"epoch"})
        missing = sorted(needed - set(logs))
        if missing:
            keys = ", ".join(repr(k) for k in logs)
            hint = (" (pass validation_data to fit)"
                    if any(k.startswith("val_") for k in missing) else "")
            raise ValueError(f"ModelCheckpoint needs {', '.join(map(repr, missing))}, which "
                             f"fit will not log{hint}; logged metrics are: {keys}")
        try:  # a format spec that does not fit its value, e.g. {val_loss:03d}
            self.path.format(**{**dict.fromkeys(logs, 0.5), "epoch": 1})
        except (ValueError, TypeError) as err:
            raise ValueError(f"checkpoint path {self.path!r} cannot be filled in: {err}; "
                             f"{{epoch}} is an integer, metrics are floats") from None
        if not self.fields:
            check_writable(self.path, "checkpoint")
        else:
            folder = os.path.dirname(os.path.abspath(self.path))
            if not os.path.isdir(folder):
                raise FileNotFoundError(2, "the checkpoint folder does not exist", folder)

    def on_epoch_end(self, model, epoch, logs):
        if (epoch + 1) % self.every:
            return
        if self.save_best_only:
            value = logs[self.monitor]
            improved = value > self.best if self.maximize else value < self.best
            if not improved:  # NaN never improves
                return
            self.best = value
        path = self.path.format(**{**logs, "epoch": epoch + 1}) if self.fields else self.path
        model.save(path)
        self.saved.append(path)

    def __repr__(self):
        return (f"ModelCheckpoint({self.path!r}, monitor={self.monitor!r}, "
                f"save_best_only={self.save_best_only}, every={self.every})")


def _fields(path):
    """The field names ``path`` asks for; a clear error for a malformed template."""
    try:
        parsed = list(string.Formatter().parse(path))
    except ValueError as err:
        raise ValueError(f"checkpoint path {path!r} is not a valid template ({err}); write "
                         f"braces as {{{{ and }}}} when they are part of the name") from None
    names = {name for _, name, _, _ in parsed if name is not None}
    for name in names:
        if not name.isidentifier():
            raise ValueError(f"checkpoint path {path!r} asks for the field {{{name}}}; use "
                             f"{{epoch}} or a metric name such as {{val_loss}}")
    return names
