"""The fastmlp network behind an estimator: built from scikit-learn's hyperparameters.

The estimator keeps a :class:`fastmlp.Sequential` as ``model_``; its Dense layers are
scikit-learn's ``coefs_[i]`` (``(n_in, n_out)``, as in fastmlp) and ``intercepts_[i]``.
Initial weights are scikit-learn's: Glorot-uniform draws from the estimator's random state in
scikit-learn's order, so both libraries start from the same weights for one ``random_state``.
"""

from __future__ import annotations

import copy

import numpy as np

from .. import Dense, Dropout, ReLU, Sequential, Sigmoid, Tanh

#: Dense values per chunk when densifying sparse input (64 MiB of float64).
SPARSE_CHUNK_VALUES = 1 << 23


def sparse_chunk_rows(n_features, multiple=1):
    """Rows of ``n_features`` densified at a time from sparse input: about
    :data:`SPARSE_CHUNK_VALUES` values, in whole multiples of ``multiple`` rows (a batch)."""
    return max(1, SPARSE_CHUNK_VALUES // max(1, n_features) // multiple) * multiple


#: scikit-learn's hidden activations as fastmlp layers (None: no layer).
ACTIVATION_LAYERS = {"identity": None, "logistic": Sigmoid, "tanh": Tanh, "relu": ReLU}


def build_model(widths, activation, dropout, head, backend, dtype, random_state):
    """A Sequential of Dense layers with ``activation`` between them, initialised as
    scikit-learn initialises its MLP.

    Parameters
    ----------
    widths : list of int
        ``[n_features, *hidden_layer_sizes, head.n_outputs]``.
    activation : {"identity", "logistic", "tanh", "relu"}
    dropout : float
        Dropout after each hidden activation (0 for none).
    head : Head
    backend, dtype
        As :class:`fastmlp.Sequential`.
    random_state : numpy.random.RandomState
        Draws the initial weights, in scikit-learn's order. The seed of the network's own
        generator (shuffling, dropout) is read from a copy of it, so that ``random_state``
        goes on to draw the early-stopping split exactly as in scikit-learn.

    Returns
    -------
    Sequential
    """
    sizes = [*widths[:-1], head.width]
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(Dense(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            if ACTIVATION_LAYERS[activation] is not None:
                layers.append(ACTIVATION_LAYERS[activation]())
            if dropout:
                layers.append(Dropout(dropout))
    initial = [_glorot_uniform(n_in, n_out, activation, random_state)
               for n_in, n_out in zip(widths[:-1], widths[1:])]
    seed = int(copy.deepcopy(random_state).randint(np.iinfo(np.int32).max))
    model = Sequential(layers, loss=head.core_loss, backend=backend, dtype=dtype, seed=seed)
    params = model.parameters()
    for i, (W, b) in enumerate(initial):
        params[2 * i][...] = W
        params[2 * i + 1][...] = b
    return model


def _glorot_uniform(fan_in, fan_out, activation, random_state):
    # Glorot & Bengio's bound, with scikit-learn's factor 2 for the logistic activation.
    factor = 2.0 if activation == "logistic" else 6.0
    bound = np.sqrt(factor / (fan_in + fan_out))
    W = random_state.uniform(-bound, bound, (fan_in, fan_out))
    b = random_state.uniform(-bound, bound, fan_out)
    return W, b


def coefs_and_intercepts(model, head):
    """scikit-learn's ``coefs_`` and ``intercepts_`` (views of the model's arrays)."""
    params = model.parameters()
    coefs, intercepts = list(params[0::2]), list(params[1::2])
    coefs[-1], intercepts[-1] = head.last_layer(coefs[-1], intercepts[-1])
    return coefs, intercepts


def squared_weight_norm(model, head):
    """Sum of squares of scikit-learn's ``coefs_`` (not the intercepts), in float64."""
    total = 0.0
    for W in coefs_and_intercepts(model, head)[0]:
        flat = W.ravel().astype(np.float64, copy=False)
        total += float(np.dot(flat, flat))
    return total
