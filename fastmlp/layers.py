"""Layers: Dense, Dropout and the activations.

A layer is built once by its model (``build``), which fixes its input width, dtype, random
generator and backend ops. ``forward`` keeps what ``backward`` needs; ``backward`` fills the
layer's gradient arrays and returns the gradient with respect to its input. Outputs go into
buffers that are allocated once per batch size and reused on every step, so training
allocates nothing per step once the first epoch is under way.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._validation import check_fraction
from .init import initial_weights, resolve_init


class Layer:
    """Base class: a stateless pass-through with no parameters."""

    def __init__(self):
        self.ops = None
        self._buffers = {}

    # -- set up by the model
    def bind(self, ops):
        """Use the backend module ``ops`` for every computation from now on."""
        self.ops = ops

    def build(self, n_in, dtype, rng):
        """Fix the input width ``n_in`` and dtype; return the output width."""
        self.n_in = self.n_out = n_in
        self.dtype = dtype
        self._rng = rng
        return self.n_out

    #: Attribute names of the trainable arrays and of their gradients, aligned.
    param_names = ()
    grad_names = ()

    def params(self):
        """The trainable arrays, in a fixed order (``[W, b]`` for Dense)."""
        return [getattr(self, name) for name in self.param_names]

    def grads(self):
        """Gradient arrays aligned with :meth:`params`."""
        return [getattr(self, name) for name in self.grad_names]

    def config(self):
        """The constructor arguments, for saving; JSON-serialisable."""
        return {}

    def _buffer(self, name, shape, dtype=None):
        # One buffer per (name, shape): full batches and the last partial batch each keep theirs.
        key = (name, shape)
        buf = self._buffers.get(key)
        if buf is None:
            buf = self._buffers[key] = np.empty(shape, dtype=dtype or self.dtype)
        return buf

    def release_buffers(self):
        """Drop the cached work arrays (they are rebuilt on the next call)."""
        self._buffers = {}

    def __getstate__(self):
        # Backend ops are bound again by the model; work buffers and what forward kept for
        # backward are per-batch scratch, not state.
        state = self.__dict__.copy()
        for name in ("ops", "_forward_op", "_backward_op", "_x", "_saved", "_mask"):
            state.pop(name, None)
        state["_buffers"] = {}
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.ops = None

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items())
        return f"{type(self).__name__}({args})"


class Dense(Layer):
    """Fully connected layer ``y = x @ W + b``.

    Parameters
    ----------
    n_in, n_out : int
        Input and output widths. ``W`` is ``(n_in, n_out)``, ``b`` is ``(n_out,)``.
    init : {"he", "he_uniform", "xavier", "xavier_uniform"} or float
        Weight initialiser, or the standard deviation of a normal distribution.
    bias : bool
        False drops ``b``.
    """

    def __init__(self, n_in, n_out, init="he", bias=True):
        super().__init__()
        for name, value in (("n_in", n_in), ("n_out", n_out)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
                raise ValueError(f"Dense {name} must be a positive integer, got {value!r}")
        self.n_in, self.n_out = int(n_in), int(n_out)
        self.init = resolve_init(init)
        if not isinstance(bias, (bool, np.bool_)):
            raise TypeError(f"Dense bias must be True or False, got {bias!r}")
        self.bias = bool(bias)
        self.W = self.b = None

    def build(self, n_in, dtype, rng):
        if n_in != self.n_in:
            raise ValueError(
                f"{self.describe()} expects {self.n_in} inputs but the layer before it gives "
                f"{n_in}; make the previous layer output {self.n_in}, or use Dense({n_in}, "
                f"{self.n_out})"
            )
        self.dtype = dtype
        self.W = initial_weights(self.init, self.n_in, self.n_out, rng).astype(dtype)
        self.dW = np.zeros_like(self.W)
        if self.bias:
            self.b = np.zeros(self.n_out, dtype=dtype)
            self.db = np.zeros_like(self.b)
        else:
            self.b = self.db = None
        self.param_names = ("W", "b") if self.bias else ("W",)
        self.grad_names = ("dW", "db") if self.bias else ("dW",)
        return self.n_out

    def describe(self):
        """Short name used in messages, e.g. ``Dense(784→128)``."""
        return f"Dense({self.n_in}→{self.n_out})"

    def forward(self, x, training=False):
        self._x = x
        out = self._buffer("out", (x.shape[0], self.n_out))
        self.ops.dense_forward(x, self.W, self.b, out)
        return out

    def backward(self, dout, need_dx=True):
        dx = self._buffer("dx", self._x.shape) if need_dx else None
        self.ops.dense_backward(self._x, self.W, dout, dx, self.dW, self.db)
        return dx

    def config(self):
        return {"n_in": self.n_in, "n_out": self.n_out, "init": self.init, "bias": self.bias}


class Activation(Layer):
    """Element-wise activation; subclasses name their backend ops."""

    #: op prefix in the backend, e.g. "relu" for relu_forward / relu_backward
    op = ""
    #: True when the backward pass needs the output (sigmoid, tanh) rather than the input
    backward_from_output = False

    def bind(self, ops):
        # Look the two ops up once, not on every step.
        super().bind(ops)
        self._forward_op = getattr(ops, f"{self.op}_forward")
        self._backward_op = getattr(ops, f"{self.op}_backward")

    def forward(self, x, training=False):
        out = self._buffer("out", x.shape)
        self._forward_op(x, out)
        self._saved = out if self.backward_from_output else x
        return out

    def backward(self, dout, need_dx=True):
        dx = self._buffer("dx", dout.shape)
        self._backward_op(self._saved, dout, dx)
        return dx


class ReLU(Activation):
    """``max(x, 0)``."""

    op = "relu"


class Sigmoid(Activation):
    """Logistic ``1 / (1 + exp(-x))``."""

    op = "sigmoid"
    backward_from_output = True


class Tanh(Activation):
    """Hyperbolic tangent."""

    op = "tanh"
    backward_from_output = True


class LeakyReLU(Activation):
    """``x`` for ``x > 0``, else ``alpha * x``."""

    op = "leaky_relu"

    def __init__(self, alpha=0.01):
        super().__init__()
        if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not np.isfinite(alpha):
            raise ValueError(f"LeakyReLU alpha must be a finite number, got {alpha!r}")
        self.alpha = float(alpha)

    def forward(self, x, training=False):
        out = self._buffer("out", x.shape)
        self.ops.leaky_relu_forward(x, self.alpha, out)
        self._saved = x
        return out

    def backward(self, dout, need_dx=True):
        dx = self._buffer("dx", dout.shape)
        self.ops.leaky_relu_backward(self._saved, self.alpha, dout, dx)
        return dx

    def config(self):
        return {"alpha": self.alpha}


class Softmax(Layer):
    """Row-wise softmax. Only valid as the last layer before ``loss="cross_entropy"``.

    The model fuses it with the loss (log-sum-exp stable, gradient ``p - onehot``), so a
    ``[Dense, ReLU, Dense, Softmax]`` list trains exactly like the same list without it;
    ``predict_proba`` returns the softmax either way.
    """

    def forward(self, x, training=False):
        out = self._buffer("out", x.shape)
        self.ops.softmax_forward(x, out)
        return out


class Dropout(Layer):
    """Inverted dropout: in training, zero each unit with probability ``p`` and scale the
    survivors by ``1 / (1 - p)``, so that nothing changes at inference time.

    Masks come from the model's seeded generator, so a seed reproduces them on both backends.
    """

    def __init__(self, p=0.5):
        super().__init__()
        self.p = check_fraction(p, "Dropout p")

    def forward(self, x, training=False):
        self._mask = None
        if not training or self.p == 0.0:
            return x
        # float64 uniforms whatever the dtype, drawn row by row: the fused Numba kernel draws
        # the same numbers in the same order, so both paths drop the same units.
        uniform = self._buffer("uniform", x.shape, np.float64)
        self._rng.random(out=uniform)
        keep = self._buffer("keep", x.shape, bool)
        np.greater_equal(uniform, self.p, out=keep)
        mask = self._buffer("mask", x.shape)
        np.multiply(keep, self.dtype(1.0 / (1.0 - self.p)), out=mask)
        self._mask = mask
        out = self._buffer("out", x.shape)
        self.ops.dropout_forward(x, mask, out)
        return out

    def backward(self, dout, need_dx=True):
        if self._mask is None:
            return dout
        dx = self._buffer("dx", dout.shape)
        self.ops.dropout_backward(dout, self._mask, dx)
        return dx

    def config(self):
        return {"p": self.p}


#: Layer classes by name, for saving/loading and for ``MLP(activation=...)``.
LAYERS = {cls.__name__: cls for cls in (Dense, ReLU, LeakyReLU, Sigmoid, Tanh, Softmax, Dropout)}
ACTIVATIONS = {"relu": ReLU, "leaky_relu": LeakyReLU, "sigmoid": Sigmoid, "tanh": Tanh}
