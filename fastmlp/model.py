"""Sequential / MLP: a stack of layers with a loss, on one backend.

The model owns the layers, the loss, the backend ops and a seeded random generator (weight
initialisation, shuffling and dropout masks all draw from it, so one seed reproduces a whole
run bit for bit on the same backend, dtype, BLAS library and kernel, BLAS thread count and
library versions; :func:`fastmlp.threads` pins the thread count, and
:mod:`fastmlp.reproducibility` says why it matters). Training itself lives in
:mod:`fastmlp.training`; predictions and scores in :mod:`fastmlp.inference`, saving and
pickling in :mod:`fastmlp._persistence` (the two bases of :class:`Sequential`).
"""

from __future__ import annotations

import numbers

import numpy as np

from . import _validation as check
from ._persistence import Persistence
from .backends import BACKENDS, get_backend
from .gradients import analytic_gradients, numerical_gradients
from .inference import Inference
from .layers import ACTIVATIONS, Dense, Dropout, LeakyReLU, Sigmoid, Softmax
from .losses import LOSS_ALIASES, LOSSES
from .network import check_layers, flatten, layer_plan, layers_from_config
from .training import fit


class Sequential(Inference, Persistence):
    """A feed-forward network: layers applied in order, then a loss.

    Parameters
    ----------
    layers : list of Layer
        The first must be :class:`Dense` (it fixes the number of input features). A trailing
        :class:`Softmax` is fused with ``loss="cross_entropy"``, a trailing :class:`Sigmoid`
        with ``loss="binary_cross_entropy"``.
    loss : {"cross_entropy", "mse", "binary_cross_entropy"}
        Softmax cross-entropy on the last layer's outputs (classification, integer or one-hot
        labels), mean squared error (regression, identity output), or binary cross-entropy
        of one sigmoid per output (multi-label: ``(n, k)`` targets of 0/1 indicators or
        probabilities; mean over samples and outputs, as Keras' ``binary_crossentropy``;
        ``"bce"`` and ``"binary_crossentropy"`` are accepted too).
    backend : {"numba", "numpy"}
        The fast path or the NumPy reference path; :meth:`to_backend` switches later.
    dtype : {"float32", "float64"}
    seed : int or None
        Seeds initialisation, shuffling and dropout: the same seed gives the same bits with
        the same backend, dtype, BLAS and BLAS thread count (see :func:`fastmlp.threads`).
    """

    def __init__(self, layers, loss="cross_entropy", backend="numba", dtype="float32", seed=None):
        self.layers = check_layers(layers)
        if isinstance(loss, str):
            loss = LOSS_ALIASES.get(loss, loss)
        self.loss = check.check_choice(loss, LOSSES, "loss")
        self.dtype = check.check_dtype(dtype)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)
                                 or seed < 0):
            raise ValueError(f"seed must be a non-negative integer or None, got {seed!r}")
        self.seed = seed
        self._rng = np.random.default_rng(seed)
        check.check_choice(backend, BACKENDS, "backend")

        width = self.layers[0].n_in
        for layer in self.layers:
            width = layer.build(width, self.dtype, self._rng)
        self.n_inputs, self.n_outputs = self.layers[0].n_in, width
        # A trailing Softmax (Sigmoid for binary cross-entropy) is folded into the loss: the
        # network computes logits.
        fused = isinstance(self.layers[-1], Softmax)
        if fused and self.loss != "cross_entropy":
            raise ValueError(f"a final Softmax layer only goes with loss='cross_entropy', not "
                             f"{self.loss!r}; drop the Softmax for regression")
        fused = fused or (self.loss == "binary_cross_entropy"
                          and isinstance(self.layers[-1], Sigmoid) and len(self.layers) > 1)
        self._network = self.layers[:-1] if fused else list(self.layers)
        self._loss = LOSSES[self.loss]()
        if self.is_classifier and self.n_outputs < 2:
            raise ValueError(f"cross_entropy needs one output per class (at least 2), but the last "
                             f"layer has {self.n_outputs}; for two classes use 2 outputs")
        self._gather_parameters()
        self.optimizer = None
        self.history = None
        self.stop_training = False
        self.to_backend(backend)

    # ------------------------------------------------------------------ structure

    def _gather_parameters(self):
        """Put every parameter in one flat vector (and every gradient in another), the layers'
        arrays becoming views into them, and publish the layer plan.

        Optimizers then update every parameter in one pass, and the fused training kernel and
        the gradient code take the whole network as a handful of arrays plus :attr:`plan`.
        """
        self.flat_params, offsets = flatten(self._network, "param_names", self.dtype)
        self.flat_grads, _ = flatten(self._network, "grad_names", self.dtype)
        self._params = [p for layer in self._network for p in layer.params()]
        self._grads = [g for layer in self._network for g in layer.grads()]
        #: One :class:`fastmlp.network.DensePlan` per Dense layer, or None for stacks without
        #: that form (they train layer by layer).
        self.plan = layer_plan(self._network, offsets)

    @property
    def is_classifier(self):
        """True for cross-entropy models: targets are labels, predictions are argmaxes."""
        return LOSSES[self.loss].is_classification

    @property
    def is_multilabel(self):
        """True for binary cross-entropy models: targets and predictions are ``(n, k)``
        indicators, one independent sigmoid per output."""
        return LOSSES[self.loss].is_multilabel

    def parameters(self):
        """The trainable arrays ``[W1, b1, W2, b2, ...]`` (updated in place by training)."""
        return list(self._params)

    def count_params(self):
        """The number of trainable scalars."""
        return int(sum(p.size for p in self._params))

    def to_backend(self, name):
        """Run every later computation on backend ``name``; the weights stay as they are.

        Returns the model, so ``model.to_backend("numpy").predict(X)`` works.
        """
        self.ops = get_backend(name)
        self.backend = name
        for layer in self.layers:
            layer.bind(self.ops)
        return self

    def summary(self):
        """A table of layers, output widths and parameter counts, as a string."""
        rows = [("layer", "output", "params")]
        for layer in self.layers:
            rows.append((repr(layer), str(layer.n_out), str(sum(p.size for p in layer.params()))))
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)) for row in rows]
        lines.insert(1, "-" * len(lines[0]))
        lines.append(f"total params: {self.count_params():,}  loss: {self.loss}  "
                     f"backend: {self.backend}  dtype: {np.dtype(self.dtype).name}")
        return "\n".join(lines)

    def __repr__(self):
        layers = ", ".join(repr(layer) for layer in self.layers)
        return (f"Sequential([{layers}], loss={self.loss!r}, backend={self.backend!r}, "
                f"dtype={np.dtype(self.dtype).name!r})")

    # ------------------------------------------------------------------ passes

    def _forward(self, x, training=False):
        for layer in self._network:
            x = layer.forward(x, training)
        return x

    def _backward(self, dout):
        for i in range(len(self._network) - 1, -1, -1):
            dout = self._network[i].backward(dout, need_dx=i > 0)

    # ------------------------------------------------------------------ training, gradients, copies

    def fit(self, X, y, epochs=1, batch_size=32, optimizer=None, shuffle=True,
            validation_data=None, verbose=1, callbacks=None, sample_weight=None,
            initial_epoch=0):
        """Train on ``X (n, n_in)`` and ``y``; see :func:`fastmlp.training.fit`.

        ``sample_weight (n,)``: each batch's loss becomes the weighted mean
        ``sum_i w_i l_i / sum_i w_i`` (scikit-learn's definition); zero weights ignore rows.
        ``initial_epoch``: as in Keras, run epochs ``initial_epoch`` to ``epochs - 1``,
        numbered on from there (to continue a run).
        """
        return fit(self, X, y, epochs=epochs, batch_size=batch_size, optimizer=optimizer,
                   shuffle=shuffle, validation_data=validation_data, verbose=verbose,
                   callbacks=callbacks, sample_weight=sample_weight,
                   initial_epoch=initial_epoch)

    def gradients(self, X, y, method="analytic", eps=1e-5, sample_weight=None):
        """Gradients of the mean loss, a list aligned with :meth:`parameters`.

        ``method="analytic"`` backpropagates in the model's dtype; ``"numerical"`` takes
        central differences over every parameter in float64 on a copy (dropout is off
        for both). See :mod:`fastmlp.gradients`. ``sample_weight (n,)`` (analytic only)
        differentiates the weighted mean loss of :meth:`fit`.
        """
        check.check_choice(method, ("analytic", "numerical"), "gradient method")
        X, y = self._check_Xy(X, y)
        weights = check.check_sample_weight(sample_weight, len(X), self.dtype)
        if method == "analytic":
            return analytic_gradients(self, X, y, weights)
        if weights is not None:
            raise ValueError("sample_weight is for analytic gradients only; numerical "
                             "gradients differentiate the plain mean loss")
        return numerical_gradients(self, X, y, eps=eps)

    def copy(self, dtype=None, backend=None):
        """An independent copy, optionally in another dtype or on another backend."""
        twin = Sequential.from_config(self.config(), dtype=dtype, backend=backend)
        for mine, theirs in zip(self._params, twin._params):
            theirs[...] = mine
        return twin

    def config(self):
        """The architecture as JSON-serialisable data (no weights)."""
        return {"layers": [{"type": type(layer).__name__, **layer.config()}
                           for layer in self.layers],
                "loss": self.loss, "dtype": np.dtype(self.dtype).name, "backend": self.backend,
                "seed": self.seed}

    @classmethod
    def from_config(cls, config, dtype=None, backend=None):
        """An untrained model from :meth:`config` output, optionally in another dtype/backend."""
        return Sequential(layers_from_config(config), loss=config["loss"],
                          backend=backend or config["backend"], dtype=dtype or config["dtype"],
                          seed=config.get("seed"))


class MLP(Sequential):
    """Shorthand: ``MLP([784, 128, 10])`` is Dense(784→128), activation, Dense(128→10).

    Parameters
    ----------
    sizes : list of int
        Widths from the input to the output, at least two.
    activation : {"relu", "leaky_relu", "sigmoid", "tanh"}
        Between every pair of Dense layers.
    dropout : float in [0, 1)
        Dropout after each hidden activation (0 adds none).
    init : str or float or None
        Weight initialiser; None picks "he" for ReLU-like activations, "xavier" otherwise.
    alpha : float
        Leaky-ReLU slope.
    loss, backend, dtype, seed
        As :class:`Sequential`.
    """

    def __init__(self, sizes, activation="relu", dropout=0.0, init=None, alpha=0.01,
                 loss="cross_entropy", backend="numba", dtype="float32", seed=None):
        if not isinstance(sizes, (list, tuple)) or len(sizes) < 2:
            raise ValueError(f"sizes must list at least the input and output widths, e.g. "
                             f"[784, 128, 10]; got {sizes!r}")
        check.check_choice(activation, ACTIVATIONS, "activation")
        check.check_fraction(dropout, "dropout")
        if init is None:
            init = "he" if activation in ("relu", "leaky_relu") else "xavier"
        layers = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(Dense(n_in, n_out, init=init))
            if i < len(sizes) - 2:
                layers.append(LeakyReLU(alpha) if activation == "leaky_relu"
                              else ACTIVATIONS[activation]())
                if dropout:
                    layers.append(Dropout(dropout))
        super().__init__(layers, loss=loss, backend=backend, dtype=dtype, seed=seed)
