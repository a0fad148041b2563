"""The layers of a :class:`~.model.Model`: ``Layer``'s activation functions, and
``LayerSpec``, one ``add_layer`` call and the core layers it stands for.
"""

from __future__ import annotations

import numpy as np

from ..._validation import check_fraction
from ...backends import get_backend
from ...layers import Dense, Dropout, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from .._support import check_count

# The activation functions below run the reference ops, in float64.
_REFERENCE = get_backend("numpy")
#: Leaky-ReLU slope of ``Layer.leaky_reLu`` (the core's default).
LEAKY_SLOPE = 0.01


def _apply(op, z, *args):
    z = np.asarray(z, dtype=np.float64)
    out = np.empty_like(z)
    op(z, *args, out)
    return out


class Layer:
    """The activation functions, under the seed's names; pass one as ``activation=``.

    Each is also an ordinary function of an array. ``Layer.softmax`` normalises each
    *column*, since the seed keeps one sample per column.
    """

    @staticmethod
    def reLu(z):
        """``max(z, 0)``."""
        return _apply(_REFERENCE.relu_forward, z)

    @staticmethod
    def leaky_reLu(z):
        """``z`` above 0, ``0.01 z`` below (:data:`LEAKY_SLOPE`)."""
        return _apply(_REFERENCE.leaky_relu_forward, z, LEAKY_SLOPE)

    @staticmethod
    def sigmoid(z):
        """Logistic ``1 / (1 + exp(-z))``."""
        return _apply(_REFERENCE.sigmoid_forward, z)

    @staticmethod
    def tanh(z):
        """Hyperbolic tangent."""
        return _apply(_REFERENCE.tanh_forward, z)

    @staticmethod
    def softmax(z):
        """Softmax of each column of ``z`` (a 1-D ``z`` is one column)."""
        z = np.asarray(z, dtype=np.float64)
        columns = z.reshape(len(z), -1)
        out = np.empty_like(columns.T)
        _REFERENCE.softmax_forward(np.ascontiguousarray(columns.T), out)
        return out.T.reshape(z.shape)

    @staticmethod
    def linear(z):
        """The identity: no activation (a regression output)."""
        return np.asarray(z, dtype=np.float64).copy()


# The functions above as the core layers they stand for; names work too.
_ACTIVATIONS = {
    Layer.reLu: ReLU, Layer.leaky_reLu: lambda: LeakyReLU(LEAKY_SLOPE), Layer.sigmoid: Sigmoid,
    Layer.tanh: Tanh, Layer.softmax: Softmax, Layer.linear: None,
}
_NAMES = {"relu": Layer.reLu, "leaky_relu": Layer.leaky_reLu, "sigmoid": Layer.sigmoid,
          "tanh": Layer.tanh, "softmax": Layer.softmax, "linear": Layer.linear}


def _resolve_activation(activation):
    if activation is None:
        return Layer.linear
    if isinstance(activation, str) and activation.lower() in _NAMES:
        return _NAMES[activation.lower()]
    if callable(activation) and activation in _ACTIVATIONS:
        return activation
    raise ValueError(f"unknown activation {activation!r}; use Layer.reLu, Layer.leaky_reLu, "
                     f"Layer.sigmoid, Layer.tanh, Layer.softmax, Layer.linear (or None), or "
                     f"one of the names {', '.join(repr(n) for n in _NAMES)}")


class LayerSpec:
    """One ``add_layer`` call: a fully connected layer, its activation and options."""

    def __init__(self, n_in, n_out, activation, init, dropout):
        self.n_in = check_count(n_in, "n_in", 1)
        self.n_out = check_count(n_out, "n_out", 1)
        self.activation = _resolve_activation(activation)
        self.init = init
        self.dropout = check_fraction(dropout, "dropout")

    def core_layers(self, last):
        """The core layers for this spec; ``last`` is True for the output layer."""
        factory = _ACTIVATIONS[self.activation]
        init = self.init
        if init is None:
            init = "he" if self.activation in (Layer.reLu, Layer.leaky_reLu) else "xavier"
        layers = [Dense(self.n_in, self.n_out, init=init)]
        if factory is not None:
            layers.append(factory())
        if self.dropout and not last:
            layers.append(Dropout(self.dropout))
        return layers

    def __repr__(self):
        return (f"LayerSpec({self.n_in}, {self.n_out}, activation={self.activation.__name__}, "
                f"init={self.init!r}, dropout={self.dropout})")
