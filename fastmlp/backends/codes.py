"""The integer codes compiled kernels use for activations, losses and optimizers.

Kernels cannot take strings, so every kernel (the op kernels, the fused training kernel and
the numerical-gradient kernel) receives these codes, and every Python caller turns a name
into a code through the maps below: one table, so no two places can disagree.
"""

from __future__ import annotations

IDENTITY, RELU, LEAKY_RELU, SIGMOID, TANH = 0, 1, 2, 3, 4
#: Activation name (as :class:`fastmlp.layers.Activation` spells it) -> code.
ACTIVATION_CODES = {"identity": IDENTITY, "relu": RELU, "leaky_relu": LEAKY_RELU,
                    "sigmoid": SIGMOID, "tanh": TANH}
#: One bit per activation: a set of activations as an int, so that a kernel compiled for a
#: network can hold the set as a constant and leave out the activations the network lacks.
RELU_BIT, LEAKY_RELU_BIT, SIGMOID_BIT, TANH_BIT = (1 << c for c in (RELU, LEAKY_RELU, SIGMOID,
                                                                      TANH))


def activation_set(codes):
    """The bit set of the activation ``codes`` (an iterable of ints); identity adds nothing."""
    used = 0
    for code in codes:
        if code != IDENTITY:
            used |= 1 << int(code)
    return used


CROSS_ENTROPY, MSE, BINARY_CROSS_ENTROPY = 0, 1, 2
#: Loss name (as ``Sequential(loss=...)`` spells it) -> code.
LOSS_CODES = {"cross_entropy": CROSS_ENTROPY, "mse": MSE,
              "binary_cross_entropy": BINARY_CROSS_ENTROPY}

# Prefixed, so that they never shadow the optimizer classes SGD, RMSprop and Adam.
OPT_SGD, OPT_RMSPROP, OPT_ADAM = 0, 1, 2
#: Update rule name (what ``Optimizer.rule`` returns) -> code.
OPTIMIZER_CODES = {"sgd": OPT_SGD, "rmsprop": OPT_RMSPROP, "adam": OPT_ADAM}
