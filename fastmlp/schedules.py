"""Learning-rate schedules: callables ``epoch -> learning rate`` for any optimizer's ``lr``.

The built-in schedules describe themselves with ``config()`` (their constructor arguments), so
a model file can store them: :func:`to_config` and :func:`from_config` turn an optimizer's
``lr`` (a number or a built-in schedule) into JSON data and back.
"""

from __future__ import annotations

import math
import numbers

from ._validation import check_positive_number


class StepDecay:
    """``lr * gamma ** (epoch // step_size)``: multiply by ``gamma`` every ``step_size`` epochs."""

    def __init__(self, lr, step_size, gamma=0.1):
        self.lr = float(check_positive_number(lr, "lr"))
        self.step_size = int(check_positive_number(step_size, "step_size", integer=True))
        self.gamma = float(check_positive_number(gamma, "gamma"))

    def __call__(self, epoch):
        return self.lr * self.gamma ** (epoch // self.step_size)

    def config(self):
        """The constructor arguments."""
        return {"lr": self.lr, "step_size": self.step_size, "gamma": self.gamma}

    def __repr__(self):
        return f"StepDecay(lr={self.lr}, step_size={self.step_size}, gamma={self.gamma})"


class ExponentialDecay:
    """``lr * gamma ** epoch``."""

    def __init__(self, lr, gamma):
        self.lr = float(check_positive_number(lr, "lr"))
        self.gamma = float(check_positive_number(gamma, "gamma"))

    def __call__(self, epoch):
        return self.lr * self.gamma**epoch

    def config(self):
        """The constructor arguments."""
        return {"lr": self.lr, "gamma": self.gamma}

    def __repr__(self):
        return f"ExponentialDecay(lr={self.lr}, gamma={self.gamma})"


class CosineDecay:
    """Cosine annealing from ``lr`` to ``lr_min`` over ``epochs`` epochs, then ``lr_min``."""

    def __init__(self, lr, epochs, lr_min=0.0):
        self.lr = float(check_positive_number(lr, "lr"))
        self.epochs = int(check_positive_number(epochs, "epochs", integer=True))
        self.lr_min = float(check_positive_number(lr_min, "lr_min", allow_zero=True))

    def __call__(self, epoch):
        t = min(epoch, self.epochs) / self.epochs
        return self.lr_min + 0.5 * (self.lr - self.lr_min) * (1 + math.cos(math.pi * t))

    def config(self):
        """The constructor arguments."""
        return {"lr": self.lr, "epochs": self.epochs, "lr_min": self.lr_min}

    def __repr__(self):
        return f"CosineDecay(lr={self.lr}, epochs={self.epochs}, lr_min={self.lr_min})"


class WarmupCosineDecay:
    """Linear warm-up over ``warmup`` epochs, then cosine annealing from ``lr`` to ``lr_min``.

    Epoch ``e < warmup`` trains at ``lr * (e + 1) / (warmup + 1)``, so the rate climbs in
    equal steps and reaches ``lr`` at epoch ``warmup``; from there it follows
    :class:`CosineDecay` over the remaining ``epochs - warmup`` epochs, then stays at ``lr_min``.
    A high peak rate is then reached only once the first updates have tamed the random
    initial weights. The rate changes per epoch, as in the other schedules.
    """

    def __init__(self, lr, epochs, warmup=1, lr_min=0.0):
        self.lr = float(check_positive_number(lr, "lr"))
        self.epochs = int(check_positive_number(epochs, "epochs", integer=True))
        self.warmup = int(check_positive_number(warmup, "warmup", integer=True))
        self.lr_min = float(check_positive_number(lr_min, "lr_min", allow_zero=True))
        if self.warmup >= self.epochs:
            raise ValueError(f"warmup must be fewer epochs than epochs (some epochs must be "
                             f"left for the decay), got warmup={self.warmup} and "
                             f"epochs={self.epochs}; shorten the warm-up or train longer")

    def __call__(self, epoch):
        if epoch < self.warmup:
            return self.lr * (epoch + 1) / (self.warmup + 1)
        # The decay is CosineDecay's, shifted by the warm-up: the formula is written once.
        return CosineDecay(self.lr, self.epochs - self.warmup, self.lr_min)(epoch - self.warmup)

    def config(self):
        """The constructor arguments."""
        return {"lr": self.lr, "epochs": self.epochs, "warmup": self.warmup,
                "lr_min": self.lr_min}

    def __repr__(self):
        return (f"WarmupCosineDecay(lr={self.lr}, epochs={self.epochs}, warmup={self.warmup}, "
                f"lr_min={self.lr_min})")


#: The schedules a model file can store, by type name.
SCHEDULES = {cls.__name__: cls for cls in (StepDecay, ExponentialDecay, CosineDecay,
                                           WarmupCosineDecay)}


def to_config(lr):
    """An optimizer's ``lr`` as JSON data: the number itself, or ``{"type", "params"}``.

    Parameters
    ----------
    lr : float or schedule

    Returns
    -------
    float or dict

    Raises
    ------
    TypeError
        ``lr`` is a callable other than the built-in schedules (its behaviour is code, which
        a model file does not hold).
    """
    if not callable(lr):
        return float(lr)
    if SCHEDULES.get(type(lr).__name__) is not type(lr):
        raise TypeError(f"the learning-rate schedule {lr!r:.80} cannot be stored: only the "
                        f"built-in schedules ({', '.join(SCHEDULES)}) and numbers can")
    return {"type": type(lr).__name__, "params": lr.config()}


def from_config(value):
    """The ``lr`` that :func:`to_config` described.

    Raises
    ------
    ValueError
        An unknown schedule type or arguments the schedule refuses (the message says which).
    """
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(check_positive_number(value, "lr"))
    if not isinstance(value, dict) or set(value) != {"type", "params"}:
        raise ValueError(f"the learning rate should be a number or a schedule "
                         f'{{"type": ..., "params": {{...}}}}, found {value!r:.80}')
    cls = SCHEDULES.get(value["type"]) if isinstance(value["type"], str) else None
    if cls is None:
        raise ValueError(f"unknown learning-rate schedule type {value['type']!r:.60}; known "
                         f"types are: {', '.join(SCHEDULES)}")
    params = value["params"]
    if not isinstance(params, dict):
        raise ValueError(f"the {cls.__name__} schedule's params should be a dict, found "
                         f"{params!r:.60}")
    try:
        return cls(**params)
    except (TypeError, ValueError) as err:
        raise ValueError(f"the {cls.__name__} schedule cannot be rebuilt from {params!r:.120}: "
                         f"{err}") from None
