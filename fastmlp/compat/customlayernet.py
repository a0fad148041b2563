"""``CustomLayerNet``: the any-depth softmax classifier with analytic or numerical backprop.

The seed's API on top of a :class:`fastmlp.Sequential`: ``net_layer`` counts the input and
output layers, every hidden layer has ``hidden_size`` units, training is full-batch gradient
descent for ``learning_time`` iterations, and ``method`` picks the activation and how the
gradients are computed. Data is batch-first (one sample per row), as in the seed.
"""

from __future__ import annotations

import numbers

import numpy as np

from .._validation import check_labels
from ..backends import get_backend
from ..layers import Dense, LeakyReLU, Sigmoid, Softmax
from ..model import Sequential
from ..optim import SGD
from ._support import check_count, copy_weights

#: The seed's defaults for ``method``.
DEFAULT_METHOD = {"activation": "relu", "backpropagation": "errorback", "train": "ordinary"}
_VALID = {"activation": ("sigmoid", "relu"),
          "backpropagation": ("errorback", "numerical_differentiation"),
          "train": ("ordinary",)}
#: The seed backpropagates "relu" with a 0.1 slope for negative inputs; fastmlp uses that
#: slope in the forward pass too, so both gradient methods see one and the same function.
RELU_SLOPE = 0.1

# The reference ops compute the seed's public helpers (softmax, sigmoid, ...) in float64.
_REFERENCE = get_backend("numpy")


class CustomLayerNet:
    """A softmax classifier of any depth, trained by full-batch gradient descent.

    Parameters
    ----------
    input_size, hidden_size, output_size : int
        Input features, units in every hidden layer, classes (at least 2).
    net_layer : int, default 2
        Layers counting the input and the output: 2 has no hidden layer, 3 has one.
    learning_time : int, default 1000
        Gradient-descent iterations in :meth:`train`.
    learning_rate : float, default 1
    print_every : int, default 100
        Print the loss every this many iterations (when ``print_output``).
    method : dict or None
        ``{"activation": "relu" | "sigmoid", "backpropagation": "errorback" |
        "numerical_differentiation", "train": "ordinary"}``; missing keys take these defaults
        (relu, errorback, ordinary). "relu" is leaky with slope 0.1 (see :data:`RELU_SLOPE`).
    init_weights : float or None, default 0.1
        Standard deviation of the initial weights; None picks Xavier (sigmoid) or He (relu).
    print_output : bool, default True
    seed : int or None
        Seeds the initial weights (keyword only; not in the seed's API).
    backend : {"numba", "numpy"}
    dtype : {"float64", "float32"}
        float64 by default, the precision the seed computes in.

    Attributes
    ----------
    model : fastmlp.Sequential
        The network itself: use it directly to move on to the core API.
    activations : list of ndarray
        Set by :meth:`forward`: the input, then every layer's output (the last is softmax).
    """

    def __init__(self, input_size, hidden_size, output_size, net_layer=2, learning_time=1000,
                 learning_rate=1, print_every=100, method=None, init_weights=0.1,
                 print_output=True, *, seed=None, backend="numba", dtype="float64"):
        self.input_size, self.hidden_size, self.output_size = input_size, hidden_size, output_size
        self.net_layer = check_count(net_layer, "net_layer", 2)
        self.learning_time = check_count(learning_time, "learning_time", 0)
        SGD(learning_rate)  # rejects a learning rate that is not a positive number, now
        self.learning_rate = learning_rate
        self.print_every = check_count(print_every, "print_every", 1)
        self.method = _merge_method(DEFAULT_METHOD, method)
        if init_weights is not None and (isinstance(init_weights, bool)
                                         or not isinstance(init_weights, numbers.Real)):
            raise ValueError(f"init_weights must be a standard deviation (a number > 0) or None "
                             f"for Xavier/He, got {init_weights!r}")
        self.init_weights = init_weights
        self.print_output = bool(print_output)
        self.x = self.t = None
        self.activations = []
        self.model = self._build(self.method["activation"], seed, backend, dtype)

    # ------------------------------------------------------------------ structure

    def _build(self, activation, seed, backend, dtype):
        if self.init_weights is None:
            init = "xavier" if activation == "sigmoid" else "he"
        else:
            init = float(self.init_weights)
        sizes = [self.input_size] + [self.hidden_size] * (self.net_layer - 2) + [self.output_size]
        layers = []
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            layers.append(Dense(n_in, n_out, init=init))
            layers.append(Sigmoid() if activation == "sigmoid" else LeakyReLU(RELU_SLOPE))
        layers[-1] = Softmax()
        return Sequential(layers, loss="cross_entropy", backend=backend, dtype=dtype, seed=seed)

    def _with_activation(self, activation):
        """The same weights under another hidden activation (a new core model)."""
        model = self.model
        twin = self._build(activation, model.seed, model.backend, model.dtype)
        copy_weights(model, twin)
        return twin

    @property
    def fact(self):
        """The parameters as ``[(W, b), ...]`` per layer, ``W`` of shape (n_in, n_out).

        These are the model's own arrays: writing into them changes the network.
        """
        params = self.model.parameters()
        return [(params[i], params[i + 1]) for i in range(0, len(params), 2)]

    # ------------------------------------------------------------------ training

    def train(self, x, t, method=None):
        """Full-batch gradient descent for ``learning_time`` iterations.

        Parameters
        ----------
        x : (n, input_size) array
        t : (n,) integer labels or (n, output_size) one-hot rows
        method : dict or None
            Overrides the constructor's ``method`` for this call only.

        Returns
        -------
        (n, output_size) ndarray
            The softmax output for ``x`` after training.
        """
        config = _merge_method(self.method, method)
        self.x, self.t = x, t
        trained_as = config["activation"]
        if trained_as != self.method["activation"]:
            self.model = self._with_activation(trained_as)
        try:
            if config["backpropagation"] == "errorback":
                self._train_backprop(x, t)
            else:
                self._train_numerically(x, t)
            out = self.forward(x)
        finally:
            if trained_as != self.method["activation"]:
                # The override was for this call: keep the trained weights, restore the rest.
                self.model = self._with_activation(self.method["activation"])
        return out

    def _train_backprop(self, x, t):
        optimizer = SGD(self.learning_rate)
        if not self.print_output:
            self.model.fit(x, t, epochs=self.learning_time, batch_size=None,
                           optimizer=optimizer, shuffle=False, verbose=0)
            return
        # Chunks of print_every iterations: each chunk still runs as one fit call, and the
        # first loss it logs is the loss at the iteration being reported.
        for start in range(0, self.learning_time, self.print_every):
            epochs = min(self.print_every, self.learning_time - start)
            history = self.model.fit(x, t, epochs=epochs, batch_size=None, optimizer=optimizer,
                                     shuffle=False, verbose=0)
            self._report(start, history.history["loss"][0])

    def _train_numerically(self, x, t):
        model = self.model
        params = model.parameters()
        optimizer = SGD(self.learning_rate)
        optimizer.bind(params)
        for iteration in range(self.learning_time):
            if self.print_output and iteration % self.print_every == 0:
                self._report(iteration, model.evaluate(x, t)["loss"])
            grads = model.gradients(x, t, method="numerical")
            if not all(np.isfinite(g).all() for g in grads):
                raise FloatingPointError(
                    f"the numerical gradient became non-finite at iteration {iteration + 1}; "
                    f"the weights are those before it. Try a smaller learning_rate (now "
                    f"{self.learning_rate:g}) or scaled inputs")
            # Central differences are taken in float64; the update runs in the model's dtype.
            grads = [np.asarray(g, dtype=model.dtype) for g in grads]
            optimizer.step(params, grads, model.ops)

    def _report(self, iteration, loss):
        print(f"iteration {iteration}: loss {loss:.6f}", flush=True)

    # ------------------------------------------------------------------ the seed's helpers

    def forward(self, x):
        """Softmax probabilities ``(n, output_size)``; keeps every layer's output in
        :attr:`activations` (the input first, the softmax output last)."""
        a = self.model._check_X(x)
        self.activations = [a.copy()]
        for layer in self.model.layers:
            a = layer.forward(a)
            if not isinstance(layer, Dense):
                self.activations.append(a.copy())
        return self.activations[-1]

    def backword(self, x):
        """Gradients of the loss at ``x`` against the labels of the last :meth:`train`
        (or ``self.t``), by the configured backpropagation; ``[(dW, db), ...]`` like
        :attr:`fact`."""
        if self.t is None:
            raise ValueError("backword needs labels: call train(x, t) first or set net.t")
        how = "analytic" if self.method["backpropagation"] == "errorback" else "numerical"
        grads = self.model.gradients(x, self.t, method=how)
        return [(grads[i], grads[i + 1]) for i in range(0, len(grads), 2)]

    backward = backword

    def update(self, grad):
        """One gradient-descent step ``param -= learning_rate * grad`` from a :meth:`backword`
        result."""
        params = self.model.parameters()
        flat = [np.asarray(g, dtype=self.model.dtype) for pair in grad for g in pair]
        if len(flat) != len(params) or any(g.shape != p.shape for g, p in zip(flat, params)):
            raise ValueError("grad must be shaped like net.fact: one (dW, db) pair per layer, "
                             "as backword returns")
        optimizer = SGD(self.learning_rate)
        optimizer.bind(params)
        optimizer.step(params, flat, self.model.ops)

    def loss(self, out):
        """Mean cross-entropy of the probabilities ``out`` against ``self.t``."""
        if self.t is None:
            raise ValueError("loss needs labels: call train(x, t) first or set net.t")
        probs = np.asarray(out, dtype=np.float64)
        labels = check_labels(self.t, probs.shape[1])
        # softmax(log p) == p, so the core's fused softmax cross-entropy applies to log p.
        with np.errstate(divide="ignore"):
            logits = np.log(probs)
        return _REFERENCE.softmax_xent(logits, labels, np.empty_like(logits))

    def accuracy(self, out, t=None):
        """Fraction of rows of ``out`` whose argmax is the label; ``t`` defaults to ``self.t``
        (integer labels or one-hot rows)."""
        t = self.t if t is None else t
        if t is None:
            raise ValueError("accuracy needs labels: pass t or call train(x, t) first")
        out = np.asarray(out)
        labels = check_labels(t, out.shape[1])
        return float(np.mean(out.argmax(axis=1) == labels))

    def affine(self, x, fact):
        """``x @ W + b`` for one ``(W, b)`` pair of :attr:`fact`."""
        W, b = fact
        x = np.asarray(x, dtype=W.dtype)
        out = np.empty((x.shape[0], W.shape[1]), dtype=W.dtype)
        _REFERENCE.dense_forward(x, W, b, out)
        return out

    @staticmethod
    def softmax(x):
        """Row-wise softmax (a 1-D ``x`` is one row)."""
        return _elementwise(x, _REFERENCE.softmax_forward, rows=True)

    @staticmethod
    def sigmoid(x):
        """Element-wise logistic function."""
        return _elementwise(x, _REFERENCE.sigmoid_forward)

    @staticmethod
    def relu(x):
        """Element-wise ``max(x, 0)`` (the plain ReLU; training uses slope 0.1 below 0)."""
        return _elementwise(x, _REFERENCE.relu_forward)


def _elementwise(x, op, rows=False):
    z = np.asarray(x, dtype=np.float64)
    shaped = np.atleast_2d(z) if rows else z
    out = np.empty_like(shaped)
    op(shaped, out)
    return out.reshape(z.shape)


def _merge_method(base, override):
    """``base`` updated by ``override`` (a dict of known keys and values), as a new dict."""
    if override is None:
        return dict(base)
    if not isinstance(override, dict):
        raise TypeError(f"method must be a dict such as {DEFAULT_METHOD!r}, got "
                        f"{type(override).__name__}")
    merged = dict(base)
    for key, value in override.items():
        if key not in _VALID:
            raise ValueError(f"unknown method key {key!r}; valid keys are: "
                             f"{', '.join(repr(k) for k in _VALID)}")
        if value not in _VALID[key]:
            raise ValueError(f"unknown {key} {value!r}; valid values are: "
                             f"{', '.join(repr(v) for v in _VALID[key])}")
        merged[key] = value
    return merged
