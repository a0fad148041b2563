"""``NetworkTraining``: the training side of a :class:`~.model.Model`.

``train_model``'s arguments, in the seed's terms (a learning rate or schedule, L2, momentum,
an optimizer name), become a core optimizer and one ``fit`` of the model's core network.
"""

from __future__ import annotations

import numpy as np

from ...optim import Optimizer, get_optimizer
from .._support import check_count, features_to_rows, targets_to_rows

#: Default learning rate of train_model per optimizer: plain SGD takes bigger steps.
DEFAULT_LEARNING_RATES = {"sgd": 0.1, "adam": 0.01, "rmsprop": 0.01, "adamw": 0.01}


class NetworkTraining:
    """The training side of a :class:`~.model.Model`: runs ``fit`` on its core model.

    ``neural_network`` is the model's :class:`~.model.NetworkState`, as in the seed.
    """

    def __init__(self, model):
        self.model = model
        self.neural_network = model.neural_network
        self.history = None

    def train(self, inputs, targets, epochs=1000, learning_rate=None, batch_size=None,
              optimizer="sgd", lr_schedule=None, l2=0.0, momentum=0.0, shuffle=True,
              verbose=False):
        """Train the model; see :meth:`~.model.Model.train_model` for the parameters."""
        owner = self.model
        core = owner.model
        X = features_to_rows(inputs, owner.n_in, owner.layout, "inputs")
        y = targets_to_rows(targets, owner.n_out, owner.layout, "targets")
        opt = _optimizer(optimizer, learning_rate, lr_schedule, l2, momentum)
        self.history = core.fit(X, y, epochs=check_count(epochs, "epochs", 0),
                                batch_size=batch_size, optimizer=opt, shuffle=shuffle,
                                verbose=2 if verbose else 0)
        self.neural_network.input = np.asarray(inputs)
        self.neural_network.output = owner._outputs(X)
        return self.history


def _optimizer(optimizer, learning_rate, lr_schedule, l2, momentum):
    if isinstance(optimizer, Optimizer):
        if learning_rate is not None or lr_schedule is not None or l2 or momentum:
            raise ValueError("pass learning_rate, lr_schedule, l2 and momentum either to the "
                             "optimizer instance or to train_model, not both")
        return optimizer
    name = optimizer.lower() if isinstance(optimizer, str) else optimizer
    get_optimizer(name)  # rejects unknown names, listing the valid ones
    if learning_rate is not None and lr_schedule is not None:
        raise ValueError("pass learning_rate or lr_schedule, not both (a schedule gives the "
                         "learning rate of every epoch)")
    if lr_schedule is not None and not callable(lr_schedule):
        raise TypeError(f"lr_schedule must be a callable epoch -> learning rate, such as "
                        f"fastmlp.StepDecay(0.1, step_size=100), got {lr_schedule!r}")
    lr = lr_schedule if lr_schedule is not None else learning_rate
    if lr is None:
        lr = DEFAULT_LEARNING_RATES[name]
    kwargs = {"lr": lr, "weight_decay": l2}
    if momentum:
        if name != "sgd":
            raise ValueError(f"momentum applies to optimizer='sgd', not {name!r}")
        kwargs["momentum"] = momentum
    if name == "adamw" and not l2:
        kwargs.pop("weight_decay")  # keep AdamW's own default decay
    return get_optimizer(name, **kwargs)


#: The seed's README imports ``Training``.
Training = NetworkTraining
