"""Learning-rate schedules: callables ``epoch -> learning rate`` for any optimizer's ``lr``."""

from __future__ import annotations

import math

from ._validation import check_positive_number


class StepDecay:
    """``lr * gamma ** (epoch // step_size)``: multiply by ``gamma`` every ``step_size`` epochs."""

    def __init__(self, lr, step_size, gamma=0.1):
        self.lr = float(check_positive_number(lr, "lr"))
        self.step_size = int(check_positive_number(step_size, "step_size", integer=True))
        self.gamma = float(check_positive_number(gamma, "gamma"))

    def __call__(self, epoch):
        return self.lr * self.gamma ** (epoch // self.step_size)

    def __repr__(self):
        return f"StepDecay(lr={self.lr}, step_size={self.step_size}, gamma={self.gamma})"


class ExponentialDecay:
    """``lr * gamma ** epoch``."""

    def __init__(self, lr, gamma):
        self.lr = float(check_positive_number(lr, "lr"))
        self.gamma = float(check_positive_number(gamma, "gamma"))

    def __call__(self, epoch):
        return self.lr * self.gamma**epoch

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

    def __repr__(self):
        return f"CosineDecay(lr={self.lr}, epochs={self.epochs}, lr_min={self.lr_min})"
