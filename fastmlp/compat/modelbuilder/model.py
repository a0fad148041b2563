"""``Model``: a network assembled layer by layer with ``add_layer``, trained with
``train_model``, in the seed's layout (one sample per column) or the core's.

The layers are checked against each other and built into a :class:`fastmlp.Sequential` on
first use; :mod:`.layers` says what each layer is, :mod:`.training` how ``train_model``'s
arguments map onto ``fit``. Convolution and pooling are not provided.
"""

from __future__ import annotations

import numpy as np

from ...model import Sequential
from .._support import check_count, check_layout, features_to_rows, rows_to_layout
from .layers import Layer, LayerSpec
from .training import NetworkTraining

_NO_CONVOLUTION = ("fastmlp is a multilayer-perceptron library: convolution and pooling layers "
                   "are not provided. Flatten each image into a vector (X.reshape(len(X), -1)) "
                   "and use fully connected layers, or use a library with convolutions "
                   "(e.g. PyTorch) for image models.")


class NetworkState:
    """The data of the last pass: ``input`` and ``output`` in the model's layout."""

    def __init__(self):
        self.input = None
        self.output = None


class Model:
    """A network assembled with :meth:`add_layer`, trained with :meth:`train_model`.

    Parameters
    ----------
    n_in, n_out : int
        Input features and outputs of the whole network.
    layout : {"columns", "rows"}, default "columns"
        One sample per column (the seed) or per row (the core). Keyword only.
    seed : int or None
        Seeds initialisation, shuffling and dropout.
    backend : {"numba", "numpy"}
    dtype : {"float64", "float32"}

    Attributes
    ----------
    model : fastmlp.Sequential
        The core network (built on first use, rebuilt when a layer is added).
    neural_network : NetworkState
        ``input`` and ``output`` of the last pass.
    training_architecture : NetworkTraining
    """

    def __init__(self, n_in, n_out, *, layout="columns", seed=None, backend="numba",
                 dtype="float64"):
        self.n_in = check_count(n_in, "n_in", 1)
        self.n_out = check_count(n_out, "n_out", 1)
        self.layout = check_layout(layout)
        self.seed, self.backend, self.dtype = seed, backend, dtype
        self.layers = []
        self._model = None
        self.neural_network = NetworkState()
        self.training_architecture = NetworkTraining(self)

    def add_layer(self, n_in, n_out, index, activation=Layer.reLu, *, init=None, dropout=0.0):
        """Insert a fully connected layer ``n_in -> n_out`` at position ``index``.

        Parameters
        ----------
        n_in, n_out : int
        index : int
            0 is the first layer; ``len(model.layers)`` appends, a smaller index inserts
            before the layer there.
        activation : Layer function, name or None
            ``Layer.reLu`` (default), ``Layer.leaky_reLu``, ``Layer.sigmoid``,
            ``Layer.tanh``, ``Layer.softmax`` (output layer only) or ``Layer.linear``/None.
        init : {"he", "xavier", ...} or float or None
            Weight initialiser or a standard deviation; None: He for ReLU-like, else Xavier.
        dropout : float in [0, 1)
            Dropout after this layer's activation in training (not on the output layer).

        Notes
        -----
        Adding a layer re-initialises every weight of the network.
        """
        index = check_count(index, "index", 0)
        if index > len(self.layers):
            raise ValueError(f"index {index} leaves a gap: the model has {len(self.layers)} "
                             f"layers, so use an index from 0 to {len(self.layers)}")
        self.layers.insert(index, LayerSpec(n_in, n_out, activation, init, dropout))
        self._model = None

    def add_conv_layer(self, *args, **kwargs):
        """Not provided: raises NotImplementedError."""
        raise NotImplementedError(_NO_CONVOLUTION)

    def add_pooling_layer(self, *args, **kwargs):
        """Not provided: raises NotImplementedError."""
        raise NotImplementedError(_NO_CONVOLUTION)

    @property
    def model(self):
        """The core :class:`fastmlp.Sequential`, built from the layers added so far."""
        if self._model is None:
            self._model = self._build()
        return self._model

    def _build(self):
        if not self.layers:
            raise ValueError("the model has no layers yet; add them with "
                             "model.add_layer(n_in, n_out, index, activation=...)")
        if self.layers[0].n_in != self.n_in:
            raise ValueError(f"layer 0 takes {self.layers[0].n_in} inputs but the model has "
                             f"{self.n_in}; make them agree")
        if self.layers[-1].n_out != self.n_out:
            raise ValueError(f"the last layer ({len(self.layers) - 1}) gives "
                             f"{self.layers[-1].n_out} outputs but the model has {self.n_out}")
        for i, (prev, layer) in enumerate(zip(self.layers[:-1], self.layers[1:]), start=1):
            if layer.n_in != prev.n_out:
                raise ValueError(f"layer {i} takes {layer.n_in} inputs but layer {i - 1} gives "
                                 f"{prev.n_out}; make them agree")
            if prev.activation is Layer.softmax:
                raise ValueError(f"Layer.softmax is only for the output layer, found it on "
                                 f"layer {i - 1}; use Layer.reLu (or another) there")
        if self.layers[-1].dropout:
            raise ValueError("dropout on the output layer would drop predictions; put it on "
                             "a hidden layer")
        core = []
        for i, spec in enumerate(self.layers):
            core += spec.core_layers(last=i == len(self.layers) - 1)
        # A softmax output means class probabilities and cross-entropy; anything else is
        # regression on the last activation's output with mean squared error.
        loss = "cross_entropy" if self.layers[-1].activation is Layer.softmax else "mse"
        return Sequential(core, loss=loss, backend=self.backend, dtype=self.dtype,
                          seed=self.seed)

    def _outputs(self, rows):
        model = self.model
        out = model.predict_proba(rows) if model.is_classifier else model.predict(rows)
        return rows_to_layout(out, self.layout)

    def train_model(self, inputs, targets, epochs=1000, learning_rate=None, batch_size=None,
                    optimizer="sgd", lr_schedule=None, l2=0.0, momentum=0.0, shuffle=True,
                    verbose=False):
        """Train on ``inputs`` and ``targets``.

        Parameters
        ----------
        inputs : (n_in, m) array, or (m, n_in) with ``layout="rows"``
        targets : (n_out, m) one-hot or regression targets (transposed for "rows"),
            or (m,) integer labels for a softmax output
        epochs : int, default 1000
        learning_rate : float or None
            None: 0.1 for SGD, 0.01 for Adam and RMSprop.
        batch_size : int or None
            None: the full batch, as the seed trains.
        optimizer : {"sgd", "adam", "rmsprop", "adamw"} or fastmlp optimizer instance
        lr_schedule : callable or None
            ``epoch -> learning rate`` (e.g. ``fastmlp.StepDecay(0.1, step_size=200)``),
            instead of ``learning_rate``.
        l2 : float
            L2 penalty, ``l2 * w`` added to every parameter's gradient (weight decay).
        momentum : float
            SGD momentum.
        shuffle : bool
        verbose : bool
            Print one line per epoch.

        Returns
        -------
        fastmlp.History
        """
        return self.training_architecture.train(
            inputs, targets, epochs=epochs, learning_rate=learning_rate, batch_size=batch_size,
            optimizer=optimizer, lr_schedule=lr_schedule, l2=l2, momentum=momentum,
            shuffle=shuffle, verbose=verbose)

    def process_raw_single_input(self, column_vector):
        """The network's output for one input.

        Parameters
        ----------
        column_vector : (n_in, 1) or (n_in,) array
            With ``layout="rows"``, (1, n_in) also works.

        Returns
        -------
        ndarray
            (n_out, 1) (or (1, n_out) with ``layout="rows"``): probabilities for a softmax
            output, the last activation's values otherwise. Also kept in
            ``neural_network.output``, the input in ``neural_network.input``.
        """
        X = features_to_rows(column_vector, self.n_in, self.layout, "column_vector")
        output = self._outputs(X)
        self.neural_network.input = np.asarray(column_vector)
        self.neural_network.output = output
        return output

    def __repr__(self):
        return f"Model({self.n_in}, {self.n_out}, layers={self.layers!r})"
