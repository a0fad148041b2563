"""``NeuralNetwork(shape or JSON path)``: mini-batch SGD, cost printing, plots, JSON files.

The seed's API on top of a :class:`fastmlp.Sequential`. Data is one sample per row,
``(k, shape[0])``, as in the seed. Hidden layers use the sigmoid. ``classification=True``
trains a softmax output on cross-entropy with integer labels; ``classification=False``
trains a sigmoid output on mean squared error, as the seed does. Networks are saved in the
seed's JSON format: the keys ``shape``, ``weights`` (one ``(out, in)`` nested list per layer)
and ``biases`` (one ``(out, 1)`` nested list per layer).
"""

from __future__ import annotations

import importlib
import json
import numbers
import os

import numpy as np

from ..layers import Dense, Dropout, ReLU, Sigmoid, Softmax
from ..model import Sequential
from ..optim import SGD
from ._support import check_count, copy_weights

#: The keys of the seed's JSON files, in the order it writes them.
JSON_KEYS = ("shape", "weights", "biases")
_HIDDEN = {"sigmoid": Sigmoid, "relu": ReLU}


class NeuralNetwork:
    """A feed-forward network of sigmoid layers, trained by mini-batch SGD.

    Parameters
    ----------
    shape_or_path : list of int, or str / path-like
        Layer widths from input to output (``[2, 5, 1]``), or the path of a JSON file
        written by :meth:`save` (or by the seed).
    activation : {"sigmoid", "relu"}, default "sigmoid"
        Hidden-layer activation (keyword only; the seed's later ReLU addition).
    dropout : float in [0, 1), default 0
        Dropout after every hidden layer during training (keyword only).
    seed : int or None
        Seeds initialisation, shuffling and dropout.
    backend : {"numba", "numpy"}
    dtype : {"float64", "float32"}

    Attributes
    ----------
    model : fastmlp.Sequential
        The core network; it is rebuilt (same weights) when ``classification`` changes.
    classification : bool
        The output the network has now: softmax (True) or sigmoid regression (False).
        Starts True when the output layer has at least 2 units.
    history : fastmlp.History or None
        Per-epoch metrics of the last :meth:`train`.
    """

    def __init__(self, shape_or_path, *, activation="sigmoid", dropout=0.0, seed=None,
                 backend="numba", dtype="float64"):
        if activation not in _HIDDEN:
            raise ValueError(f"unknown activation {activation!r}; valid activations are: "
                             f"'sigmoid', 'relu'")
        self.activation, self.dropout = activation, dropout
        self._settings = {"seed": seed, "backend": backend, "dtype": dtype}
        self.history = self.figure = None
        if isinstance(shape_or_path, (str, os.PathLike)):
            self.load(shape_or_path)
        elif isinstance(shape_or_path, (list, tuple)):
            self._start(_check_shape(shape_or_path, "shape"))
        else:
            raise TypeError(f"NeuralNetwork takes a list of layer widths such as [2, 5, 1] or "
                            f"the path of a saved JSON file, got "
                            f"{type(shape_or_path).__name__}")

    # ------------------------------------------------------------------ structure

    def _start(self, shape):
        self.shape = shape
        self.classification = shape[-1] >= 2
        self.model = self._build(self.classification)

    def _build(self, classification):
        init = "xavier" if self.activation == "sigmoid" else "he"
        layers = []
        for i, (n_in, n_out) in enumerate(zip(self.shape[:-1], self.shape[1:])):
            layers.append(Dense(n_in, n_out, init=init))
            if i < len(self.shape) - 2:
                layers.append(_HIDDEN[self.activation]())
                if self.dropout:
                    layers.append(Dropout(self.dropout))
        layers.append(Softmax() if classification else Sigmoid())
        return Sequential(layers, loss="cross_entropy" if classification else "mse",
                          **self._settings)

    def _set_mode(self, classification):
        if classification == self.classification:
            return
        if classification and self.shape[-1] < 2:
            raise ValueError(f"classification needs one output unit per class (at least 2), "
                             f"but the output layer has {self.shape[-1]}; use "
                             f"classification=False for a single output")
        twin = self._build(classification)
        copy_weights(self.model, twin)
        self.model, self.classification = twin, classification

    @property
    def weights(self):
        """One ``(out, in)`` array per layer: live transposed views of the model's ``W``."""
        return [layer.W.T for layer in self._dense()]

    @property
    def biases(self):
        """One ``(out, 1)`` array per layer: live views of the model's ``b``."""
        return [layer.b[:, None] for layer in self._dense()]

    def _dense(self):
        return [layer for layer in self.model.layers if isinstance(layer, Dense)]

    # ------------------------------------------------------------------ training

    def train(self, train_data, train_labels, batch_size=100, epochs=20, learning_rate=.3,
              classification=True, print_cost=False, test_data=None, test_labels=None,
              plot=False):
        """Mini-batch SGD with a constant learning rate.

        Parameters
        ----------
        train_data : (k, shape[0]) array or list of lists
        train_labels : (k,) integer labels (classification) or (k, shape[-1]) targets
        batch_size : int, default 100
            The last, smaller batch is used, not discarded.
        epochs : int, default 20
        learning_rate : float, default 0.3
        classification : bool, default True
        print_cost : bool, default False
            Print the cost (and accuracy) at the end of every epoch, and on the test data
            when it is given.
        test_data, test_labels : arrays or None
        plot : bool, default False
            Plot the per-epoch curves (train and test) when training ends; needs
            matplotlib. The figure is kept in ``self.figure``.

        Returns
        -------
        fastmlp.History
        """
        if plot:
            _require_matplotlib()
        if (test_data is None) != (test_labels is None):
            raise ValueError("pass test_data and test_labels together (or neither)")
        self._set_mode(bool(classification))
        validation = None
        if test_data is not None and (print_cost or plot):
            validation = (test_data, test_labels)
        self.history = self.model.fit(
            train_data, train_labels, epochs=check_count(epochs, "epochs", 0),
            batch_size=check_count(batch_size, "batch_size", 1),
            optimizer=SGD(learning_rate), shuffle=True, validation_data=validation,
            verbose=2 if print_cost else 0)
        if plot:
            try:
                self.figure = self.history.plot()
            except ImportError as err:
                raise ImportError(f"plot=True could not draw the curves ({err}); the network "
                                  f"is trained and net.history holds the numbers") from err
        return self.history

    def predict(self, data):
        """The output layer for ``data`` ``(k, shape[0])``: class probabilities
        ``(k, shape[-1])`` when classifying, the sigmoid outputs otherwise."""
        if self.classification:
            return self.model.predict_proba(data)
        return self.model.predict(data)

    # ------------------------------------------------------------------ files

    def save(self, path):
        """Write the network to ``path`` as JSON with the keys ``shape``, ``weights`` and
        ``biases``, in the seed's layout."""
        data = {"shape": list(self.shape),
                "weights": [w.tolist() for w in self.weights],
                "biases": [b.tolist() for b in self.biases]}
        with open(os.fspath(path), "w", encoding="utf-8") as f:
            json.dump(data, f)

    def load(self, path):
        """Replace this network by the one saved in the JSON file ``path``; returns self.

        Raises
        ------
        ValueError
            The file is not JSON, lacks a key, or its arrays do not fit its ``shape``.
        """
        path = os.fspath(path)
        with open(path, encoding="utf-8") as f:
            try:
                data = json.load(f)
            except json.JSONDecodeError as err:
                raise ValueError(f"{path} is not a JSON file: {err}") from None
        shape, weights, biases = _read_network(data, path)
        self._start(shape)
        for layer, w, b in zip(self._dense(), weights, biases):
            layer.W[...] = w.T
            layer.b[...] = b.reshape(-1)
        return self


def _require_matplotlib():
    """Fail before training, not after it, when the plot cannot be drawn."""
    try:
        importlib.import_module("matplotlib")
    except ImportError as err:
        raise ImportError("plot=True needs matplotlib: pip install 'fastmlp[plot]' (or "
                          "matplotlib), or train with plot=False and use net.history") from err


def _check_shape(shape, where):
    if (not isinstance(shape, (list, tuple)) or len(shape) < 2
            or any(isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1
                   for n in shape)):
        raise ValueError(f"{where} must list at least two positive integer layer widths, "
                         f"e.g. [2, 5, 1]; got {shape!r}")
    return [int(n) for n in shape]


def _read_network(data, path):
    """Check a parsed JSON file; return ``(shape, weights, biases)`` as lists of arrays."""
    if not isinstance(data, dict):
        raise ValueError(f"{path} must hold a JSON object with the keys "
                         f"{', '.join(JSON_KEYS)}, got a {type(data).__name__}")
    missing = [key for key in JSON_KEYS if key not in data]
    if missing:
        raise ValueError(f"{path} lacks the key(s) {', '.join(missing)}; a saved network has "
                         f"{', '.join(JSON_KEYS)}")
    shape = _check_shape(data["shape"], f"{path}: 'shape'")
    n_layers = len(shape) - 1
    arrays = {}
    for key in ("weights", "biases"):
        value = data[key]
        if not isinstance(value, list):
            raise ValueError(f"{path}: '{key}' must be a list of {n_layers} arrays, one per "
                             f"layer, got {type(value).__name__}")
        if len(value) != n_layers:
            raise ValueError(f"{path}: '{key}' holds {len(value)} arrays but shape {shape} has "
                             f"{n_layers} layers")
        arrays[key] = [_as_array(v, path, f"{key}[{i}]") for i, v in enumerate(value)]
    for i, (w, b) in enumerate(zip(arrays["weights"], arrays["biases"])):
        n_in, n_out = shape[i], shape[i + 1]
        if w.shape != (n_out, n_in):
            raise ValueError(f"{path}: weights[{i}] must be (out, in) = ({n_out}, {n_in}) for "
                             f"shape {shape}, got {w.shape}")
        if b.shape not in ((n_out, 1), (n_out,)):
            raise ValueError(f"{path}: biases[{i}] must be ({n_out}, 1) for shape {shape}, got "
                             f"{b.shape}")
    return shape, arrays["weights"], arrays["biases"]


def _as_array(value, path, name):
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{path}: {name} must be a rectangular array of numbers: {err}") \
            from None
    if not np.isfinite(arr).all():
        raise ValueError(f"{path}: {name} holds non-finite values (NaN, infinity or null)")
    return arr
