"""What an exporter needs to know about a model, read through its public API.

Every target (ONNX, PyTorch) walks the same list of inference steps: the Dense layers with
their weights, the activations between them, and the head (softmax probabilities for a
classifier, one sigmoid per label for a multi-label model, the raw values for a regressor).
Dropout is the identity at inference and leaves no step. Anything else is refused here,
once, with the name and position of the first layer no target knows, so no exporter can
silently drop a layer it does not understand.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..layers import Dense, Dropout, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from ..model import Sequential

#: Activation layers an exporter can write, by the name the steps use.
ACTIVATION_NAMES = {ReLU: "relu", LeakyReLU: "leaky_relu", Sigmoid: "sigmoid", Tanh: "tanh"}
#: The losses whose inference output an exporter can write, and what that output is.
HEADS = {"cross_entropy": "softmax", "binary_cross_entropy": "sigmoid", "mse": "identity"}


class Step(NamedTuple):
    """One inference step.

    Attributes
    ----------
    kind : str
        ``"dense"``, ``"relu"``, ``"leaky_relu"``, ``"sigmoid"`` or ``"tanh"``.
    W : ndarray (n_in, n_out) or None
        The Dense layer's weights (a copy), None for an activation.
    b : ndarray (n_out,) or None
        The Dense layer's bias (a copy), None for an activation or a Dense without bias.
    alpha : float
        The leaky-ReLU slope (0 otherwise).
    """

    kind: str
    W: np.ndarray | None = None
    b: np.ndarray | None = None
    alpha: float = 0.0


class Structure(NamedTuple):
    """A model as exporters see it.

    Attributes
    ----------
    steps : list of Step
        From the input to the network's output (logits for a classifier or a multi-label
        model).
    head : str
        ``"softmax"`` (classifier: probabilities and labels), ``"binary"`` (scikit-learn's
        binary classifier: one logistic unit, two classes), ``"sigmoid"`` (multi-label:
        per-label probabilities and 0/1 indicators) or ``"identity"`` (regressor).
    dtype : numpy dtype
        float32 or float64, the dtype of every weight.
    n_inputs, n_outputs : int
    labels : ndarray (n_outputs,) or None
        What each output class stands for, when the exported object says so (a
        scikit-learn classifier's ``classes_``); None means the class index. A multi-label
        model's outputs are indicators, one column per label, so this only names columns.
    """

    steps: list
    head: str
    dtype: np.dtype
    n_inputs: int
    n_outputs: int
    labels: np.ndarray | None


def as_model(obj):
    """The fastmlp :class:`~fastmlp.Sequential` behind ``obj``.

    ``obj`` is a Sequential (or an MLP), or any object with a ``__fastmlp_model__()`` method
    returning one: the protocol through which wrappers such as the scikit-learn estimators
    export through the same functions.

    Raises
    ------
    TypeError
        ``obj`` is neither.
    """
    if isinstance(obj, Sequential):
        return obj
    get = getattr(obj, "__fastmlp_model__", None)
    if callable(get):
        model = get()
        if not isinstance(model, Sequential):
            raise TypeError(f"{type(obj).__name__}.__fastmlp_model__() returned "
                            f"{type(model).__name__}, not a fastmlp Sequential")
        return model
    raise TypeError(f"expected a fastmlp model (Sequential or MLP), or an object with a "
                    f"__fastmlp_model__() method such as a fitted fastmlp.sklearn estimator; "
                    f"got {type(obj).__name__}")


def network_layers(model):
    """The layers of ``model`` (a Sequential) whose output is the network's: all of them but a
    final layer the loss folds in.

    A final Softmax goes with ``loss="cross_entropy"`` and a final Sigmoid (after at least one
    other layer) with ``loss="binary_cross_entropy"``: :class:`~fastmlp.Sequential` fuses
    either with its loss, so the network computes logits and the head applies the layer.
    Exporting that layer as a step would apply it twice.

    Returns
    -------
    list of Layer
    """
    layers = list(model.layers)
    last = layers[-1]
    if (type(last) is Softmax or (type(last) is Sigmoid and model.loss == "binary_cross_entropy"
                                  and len(layers) > 1)):
        return layers[:-1]
    return layers


def read_structure(obj):
    """The inference steps of ``obj`` (see :func:`as_model`), ready for an exporter.

    Returns
    -------
    Structure

    Raises
    ------
    TypeError
        ``obj`` is not a model.
    ValueError
        The model holds a layer or a loss that cannot be exported (the message names the
        first such layer and its position), or weights that are NaN or infinite.
    """
    model = as_model(obj)
    if model.loss not in HEADS:
        raise ValueError(f"cannot export a model with loss={model.loss!r}: exporters know "
                         f"{', '.join(map(repr, HEADS))}")
    steps = []
    for position, layer in enumerate(network_layers(model)):
        kind = type(layer)
        if kind is Dense:
            if not (np.isfinite(layer.W).all() and (layer.b is None
                                                    or np.isfinite(layer.b).all())):
                raise ValueError(f"cannot export {layer.describe()} at position {position}: "
                                 f"its weights hold NaN or infinite values")
            steps.append(Step("dense", np.array(layer.W),
                              None if layer.b is None else np.array(layer.b)))
        elif kind in ACTIVATION_NAMES:
            alpha = layer.alpha if kind is LeakyReLU else 0.0
            steps.append(Step(ACTIVATION_NAMES[kind], alpha=alpha))
        elif kind is Dropout:
            continue  # the identity at inference
        else:
            raise ValueError(
                f"cannot export layer {position}, {layer!r}: exporters know Dense, "
                f"{', '.join(cls.__name__ for cls in ACTIVATION_NAMES)}, Dropout and a final "
                f"Softmax")
    head = HEADS[model.loss]
    labels = getattr(obj, "classes_", None) if obj is not model else None
    if labels is not None:
        labels = np.asarray(labels)
        if head == "sigmoid" and model.n_outputs == 1 and labels.shape == (2,):
            head = "binary"  # one logistic unit: the probability of the second class
        elif labels.shape != (model.n_outputs,):
            raise ValueError(f"{type(obj).__name__}.classes_ has shape {labels.shape}, but the "
                             f"model has {model.n_outputs} outputs")
    return Structure(steps, head, np.dtype(model.dtype), model.n_inputs,
                     model.n_outputs, labels)
