"""The base of every optimizer: the state it owns, its learning rate per epoch, and storing it.

An optimizer owns its state: the state vectors (flat, with per-parameter views), a copy of
them from before the latest update (so a step that made the loss non-finite can be undone),
the step count and the current learning rate. Only its own methods change them, whichever
trainer drives it: :meth:`Optimizer.step` updates the parameters through the backend's
``*_update`` ops, and the fused trainer's kernel updates the same vectors then reports its
steps through :meth:`Optimizer.advance`. ``lr`` is a float or a schedule: any callable
``epoch -> learning rate``, such as those in :mod:`fastmlp.schedules`.

The schedule's epoch counts on over ``fit`` calls: an optimizer that trained 3 epochs starts
the next ``fit`` at epoch 3 of its schedule, as one 6-epoch run would.
:meth:`Optimizer.state_dict` and :func:`fastmlp.optimizer_state.from_state` turn everything an
optimizer needs to continue (class, hyperparameters, schedule, counts and state vectors) into
JSON data and arrays and back: model files store them. The update rules are in
:mod:`fastmlp.optim`.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from . import _huge_pages as huge_pages
from . import schedules
from ._validation import check_positive_number

#: The built-in optimizers' class names (those :meth:`Optimizer.state_dict` can store).
BUILT_IN_NAMES = ("SGD", "RMSprop", "Adam", "AdamW")


def _check_lr(lr):
    if callable(lr):
        return lr
    return float(check_positive_number(lr, "learning rate (lr)"))


class Optimizer:
    """Base class. Subclasses list their state arrays in ``state_names`` and define ``_update``;
    the built-in rules set ``built_in`` (only they can be stored in a file).

    Attributes
    ----------
    iterations : int
        Updates made so far (Adam's bias correction counts them).
    epochs : int
        Epochs started so far, over every ``fit`` call: the next ``fit`` asks the schedule
        for epoch ``epochs`` first.
    current_lr : float
        The learning rate of the current epoch.
    flat_state : dict of str to (n_params,) ndarray
        The state vectors, one per name in ``state_names``; ``state`` holds per-parameter
        views of them.
    """

    state_names = ()
    built_in = False
    # Class-level defaults, so that optimizers pickled before these existed still work.
    epochs = 0
    _first_epoch = 0
    decay_biases = True

    def __init__(self, lr, weight_decay=0.0, decay_biases=True):
        self.lr = _check_lr(lr)
        self.weight_decay = float(check_positive_number(weight_decay, "weight_decay",
                                                        allow_zero=True))
        if not isinstance(decay_biases, (bool, np.bool_)):
            raise TypeError(f"decay_biases must be True or False, got {decay_biases!r}")
        self.decay_biases = bool(decay_biases)
        self.iterations = 0
        self._params = None
        self.state = {}
        self.current_lr = self.lr_at(0)

    def lr_at(self, epoch):
        """The learning rate for ``epoch`` (0-based): ``lr`` itself or ``lr(epoch)``."""
        if not callable(self.lr):
            return self.lr
        try:
            value = self.lr(epoch)
        except OverflowError:
            value = math.inf
        if (isinstance(value, bool) or not isinstance(value, numbers.Real)
                or not math.isfinite(value) or value < 0):
            raise ValueError(f"the learning-rate schedule returned {value!r} for epoch {epoch}; "
                             "a schedule must return a finite number >= 0")
        return float(value)

    def start_epoch(self, epoch):
        """Set the learning rate for ``epoch`` (0-based, of the current ``fit`` call); the
        schedule sees it counted on from the epochs of earlier calls."""
        overall = self._first_epoch + epoch
        self.current_lr = self.lr_at(overall)
        self.epochs = overall + 1

    def rewind_to_epoch(self, epoch, lr):
        """Make ``epoch`` (0-based, of the current ``fit`` call) the last one started again,
        with its learning rate ``lr``: a kernel call that set up several epochs ahead and
        stopped early (Ctrl-C, a non-finite loss) leaves the count where training stopped."""
        self.epochs = self._first_epoch + epoch + 1
        self.current_lr = lr

    def bind(self, params):
        """Attach to a parameter list; a new list (another model) gets fresh zero state.

        ``fit`` calls this first: the epochs it runs follow those already started.
        """
        if self._bound_to(params):
            self._first_epoch = self.epochs
        else:
            self._params = list(params)
            # Flat state with per-parameter views: the per-array ops use the views, the fused
            # training kernel updates the whole vector in one pass.
            total = sum(p.size for p in params)
            dtype = params[0].dtype if params else np.float64
            self.flat_state = {name: huge_pages.zeros(total, dtype) for name in self.state_names}
            self.flat_backup = {name: huge_pages.zeros(total, dtype)
                                for name in self.state_names}
            self.state = {name: _split(flat, params) for name, flat in self.flat_state.items()}
            self.iterations = 0
            self.epochs = self._first_epoch = 0

    def rebind(self, params):
        """Attach to new arrays shaped like the bound ones, keeping the state and counts
        (a model rebuilt from a pickle has new arrays)."""
        saved = {name: np.array(flat) for name, flat in self.flat_state.items()}
        iterations, epochs = self.iterations, self.epochs
        self._params = None
        self.bind(params)
        for name, flat in saved.items():
            self.flat_state[name][...] = flat
        self.iterations, self.epochs = iterations, epochs
        self._first_epoch = epochs

    def step(self, params, grads, ops, lr=None):
        """Update every parameter in place from its gradient, at ``lr`` (default: the
        current learning rate), keeping the state from before in the backup."""
        lr = self.current_lr if lr is None else lr
        for name, flat in self.flat_state.items():
            np.copyto(self.flat_backup[name], flat)
        self.iterations += 1
        for i, (param, grad) in enumerate(zip(params, grads)):
            # Biases are the 1-D parameters (weight matrices are 2-D).
            decay = self.weight_decay if self.decay_biases or param.ndim > 1 else 0.0
            self._update(ops, param, grad, [self.state[name][i] for name in self.state_names], lr,
                         decay)

    def advance(self, steps):
        """Count ``steps`` updates made by the fused kernel on this optimizer's vectors."""
        self.iterations += int(steps)

    def undo_step(self):
        """Put back the state from before the latest update and count that update out."""
        for name, flat in self.flat_state.items():
            np.copyto(flat, self.flat_backup[name])
        self.iterations -= 1

    def config(self):
        """The constructor arguments (schedules are shown by their repr)."""
        return {}

    def _decay_config(self):
        # Only when off: files and reprs from before the option look as they did.
        return {} if self.decay_biases else {"decay_biases": False}

    def state_dict(self, params=None):
        """Everything needed to continue training, for a file: JSON data and arrays.

        Parameters
        ----------
        params : list of ndarray, optional
            The model's parameters. When the optimizer is not bound to these very arrays
            (not trained on them yet), the state is what binding to them gives: zero
            vectors and counts.

        Returns
        -------
        info : dict
            ``{"type": class name, "config": constructor arguments (the schedule as
            {"type", "params"}), "iterations", "epochs", "current_lr"}``.
        arrays : dict of str to (n_params,) ndarray
            A copy of each state vector (none before the optimizer is bound).

        Raises
        ------
        TypeError
            A class other than the built-in optimizers, or a schedule other than the built-in
            ones: their behaviour is code, which a file does not hold.
        """
        if not type(self).__dict__.get("built_in", False):  # the class itself, not a subclass
            raise TypeError(f"the optimizer {type(self).__name__} cannot be stored: only the "
                            f"built-in ones ({', '.join(BUILT_IN_NAMES)}) can")
        config = {**self.config(), "lr": schedules.to_config(self.lr)}
        info = {"type": type(self).__name__, "config": config, "iterations": self.iterations,
                "epochs": self.epochs, "current_lr": self.current_lr}
        if params is not None and not self._bound_to(params):
            size = sum(p.size for p in params)
            dtype = params[0].dtype if params else np.float64
            info.update(iterations=0, epochs=0)
            return info, {name: np.zeros(size, dtype=dtype) for name in self.state_names}
        arrays = {name: flat.copy() for name, flat in getattr(self, "flat_state", {}).items()}
        return info, arrays

    def _bound_to(self, params):
        return self._params is not None and len(self._params) == len(params) and all(
            a is b for a, b in zip(self._params, params))

    def fused_settings(self):
        """``(kind, settings)`` for the fused Numba training kernel, or None if it has no
        fused form (then training runs layer by layer). ``kind`` is "sgd", "rmsprop" or
        "adam"; settings use the keys momentum, nesterov, decay1, decay2, eps,
        weight_decay, decoupled."""
        return None

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items())
        return f"{type(self).__name__}({args})"


def _split(flat, like):
    """Views of consecutive slices of ``flat`` shaped like each array in ``like``."""
    views, offset = [], 0
    for array in like:
        views.append(flat[offset:offset + array.size].reshape(array.shape))
        offset += array.size
    return views
