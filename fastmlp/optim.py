"""Optimizers (SGD, RMSprop, Adam, AdamW), with PyTorch's semantics: the update rules.

Each rule is a subclass of :class:`~fastmlp.optimizer_base.Optimizer`, which owns the state,
the learning rate per epoch and storing it; a rule names its state vectors, updates one
parameter through the backend's ``*_update`` op, and gives its settings to the fused
trainer's kernel (``fused_settings``). ``lr`` is a float or a schedule (:mod:`fastmlp.schedules`).
"""

from __future__ import annotations

from ._validation import check_choice, check_fraction, check_positive_number
from .optimizer_base import BUILT_IN_NAMES, Optimizer
from .schedules import (  # noqa: F401 (public here too)
    CosineDecay,
    ExponentialDecay,
    StepDecay,
    WarmupCosineDecay,
)


class SGD(Optimizer):
    """Stochastic gradient descent with optional (Nesterov) momentum, as ``torch.optim.SGD``.

    Parameters
    ----------
    lr : float or callable
        Learning rate, or a schedule ``epoch -> lr``.
    momentum : float in [0, 1)
    nesterov : bool
        Nesterov momentum; needs ``momentum > 0``.
    weight_decay : float
        L2 penalty: ``weight_decay * param`` is added to the gradient.
    decay_biases : bool
        False: weight decay leaves the biases alone (scikit-learn's ``alpha`` and Keras'
        kernel regularizers penalise weights only); True, as PyTorch, decays every parameter.
    """

    state_names = ("velocity",)
    built_in = True

    def __init__(self, lr=0.01, momentum=0.0, nesterov=False, weight_decay=0.0,
                 decay_biases=True):
        self.momentum = check_fraction(momentum, "momentum")
        if nesterov and not self.momentum:
            raise ValueError("nesterov=True needs momentum > 0, e.g. SGD(lr, momentum=0.9, "
                             "nesterov=True)")
        self.nesterov = bool(nesterov)
        super().__init__(lr, weight_decay, decay_biases)

    def _update(self, ops, param, grad, state, lr, weight_decay):
        ops.sgd_update(param, grad, state[0], lr, self.momentum, self.nesterov, weight_decay)

    def fused_settings(self):
        return "sgd", {"momentum": self.momentum, "nesterov": self.nesterov,
                       "weight_decay": self.weight_decay, "decay_biases": self.decay_biases}

    def config(self):
        return {"lr": self.lr, "momentum": self.momentum, "nesterov": self.nesterov,
                "weight_decay": self.weight_decay, **self._decay_config()}


class RMSprop(Optimizer):
    """RMSprop, as ``torch.optim.RMSprop`` (``rho`` is PyTorch's ``alpha``).

    Parameters
    ----------
    lr : float or callable
    rho : float in [0, 1)
        Decay of the running mean of squared gradients.
    eps : float
        Added to the root mean square, for stability.
    weight_decay : float
        L2 penalty added to the gradient.
    decay_biases : bool
        As :class:`SGD`'s.
    """

    state_names = ("sq_avg",)
    built_in = True

    def __init__(self, lr=0.001, rho=0.9, eps=1e-7, weight_decay=0.0, decay_biases=True):
        self.rho = check_fraction(rho, "rho")
        self.eps = float(check_positive_number(eps, "eps"))
        super().__init__(lr, weight_decay, decay_biases)

    def _update(self, ops, param, grad, state, lr, weight_decay):
        ops.rmsprop_update(param, grad, state[0], lr, self.rho, self.eps, weight_decay)

    def fused_settings(self):
        return "rmsprop", {"decay1": self.rho, "eps": self.eps, "weight_decay": self.weight_decay,
                           "decay_biases": self.decay_biases}

    def config(self):
        return {"lr": self.lr, "rho": self.rho, "eps": self.eps,
                "weight_decay": self.weight_decay, **self._decay_config()}


class Adam(Optimizer):
    """Adam, as ``torch.optim.Adam``; ``decoupled=True`` gives AdamW.

    Parameters
    ----------
    lr : float or callable
    beta1, beta2 : float in [0, 1)
        Decay rates of the first and second moment estimates.
    eps : float
    weight_decay : float
        L2 penalty added to the gradient, or with ``decoupled=True`` a direct shrink
        ``param *= 1 - lr * weight_decay`` (AdamW).
    decoupled : bool
    decay_biases : bool
        As :class:`SGD`'s.
    """

    state_names = ("m", "v")
    built_in = True

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0,
                 decoupled=False, decay_biases=True):
        self.beta1 = check_fraction(beta1, "beta1")
        self.beta2 = check_fraction(beta2, "beta2")
        self.eps = float(check_positive_number(eps, "eps"))
        self.decoupled = bool(decoupled)
        super().__init__(lr, weight_decay, decay_biases)

    def _update(self, ops, param, grad, state, lr, weight_decay):
        ops.adam_update(param, grad, state[0], state[1], lr, self.beta1, self.beta2, self.eps,
                        self.iterations, weight_decay, self.decoupled)

    def fused_settings(self):
        return "adam", {"decay1": self.beta1, "decay2": self.beta2, "eps": self.eps,
                        "weight_decay": self.weight_decay, "decoupled": self.decoupled,
                        "decay_biases": self.decay_biases}

    def config(self):
        return {"lr": self.lr, "beta1": self.beta1, "beta2": self.beta2, "eps": self.eps,
                "weight_decay": self.weight_decay, "decoupled": self.decoupled,
                **self._decay_config()}


class AdamW(Adam):
    """Adam with decoupled weight decay (default 0.01), as ``torch.optim.AdamW``."""

    built_in = True

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01,
                 decay_biases=True):
        super().__init__(lr, beta1, beta2, eps, weight_decay, decoupled=True,
                         decay_biases=decay_biases)

    def config(self):
        config = super().config()
        del config["decoupled"]  # always True: not an argument of AdamW
        return config


OPTIMIZERS = {"sgd": SGD, "rmsprop": RMSprop, "adam": Adam, "adamw": AdamW}
#: The optimizers a model file can store, by class name.
OPTIMIZER_TYPES = {cls.__name__: cls for cls in OPTIMIZERS.values()}
assert tuple(OPTIMIZER_TYPES) == BUILT_IN_NAMES


def get_optimizer(optimizer, **kwargs):
    """An optimizer instance from an instance or a name in :data:`OPTIMIZERS` (plus kwargs)."""
    if isinstance(optimizer, Optimizer):
        return optimizer
    if isinstance(optimizer, type) and issubclass(optimizer, Optimizer):
        raise TypeError(f"optimizer is the class {optimizer.__name__}, not an instance; write "
                        f"{optimizer.__name__}() (or {optimizer.__name__}(lr=...))")
    check_choice(optimizer, OPTIMIZERS, "optimizer")
    return OPTIMIZERS[optimizer](**kwargs)
