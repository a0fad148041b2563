"""The structure of a network, computed once: flat parameter storage and the layer plan.

A :class:`~fastmlp.model.Sequential` keeps every weight and bias in one flat vector (and every
gradient in another); the layers' arrays are views into it. :func:`flatten` builds that vector
and records where each array starts. :func:`layer_plan` then describes the network the way
compiled code needs it, one :class:`DensePlan` per Dense layer (its widths, its offsets in the
flat vector, the activation and dropout that follow it). The fused trainer and the gradient
code both read this plan, so neither walks the layers or recovers offsets on its own.
"""

from __future__ import annotations

from typing import NamedTuple

from . import _huge_pages as huge_pages
from .layers import LAYERS, Activation, Dense, Dropout, Layer, LeakyReLU, Softmax


class DensePlan(NamedTuple):
    """One Dense layer and what follows it, as plain numbers.

    ``w_offset``/``b_offset`` index the flat parameter (and gradient) vector; ``b_offset`` is -1
    for a layer without bias. ``W`` is stored row-major, ``(n_in, n_out)``.
    """

    n_in: int
    n_out: int
    w_offset: int
    b_offset: int
    activation: str
    alpha: float
    dropout: float


def flatten(layers, names_attr, dtype):
    """Move the arrays named by each layer's ``names_attr`` into one flat vector, in order.

    Each layer attribute becomes a view of its slice of the returned vector, values kept.

    Returns
    -------
    flat : (n_params,) array of ``dtype``
    offsets : dict
        ``(layer index, attribute name) -> offset of that array's first element``.
    """
    owned = [(i, layer, name) for i, layer in enumerate(layers)
             for name in getattr(layer, names_attr)]
    flat = huge_pages.empty(sum(getattr(layer, name).size for _, layer, name in owned), dtype)
    offsets, offset = {}, 0
    for i, layer, name in owned:
        array = getattr(layer, name)
        view = flat[offset:offset + array.size].reshape(array.shape)
        view[...] = array
        setattr(layer, name, view)
        offsets[i, name] = offset
        offset += array.size
    return flat, offsets


def layer_plan(layers, offsets):
    """The :class:`DensePlan` of each Dense layer, or None if the stack has no such form.

    The form is: every Dense followed by at most one activation and then at most one Dropout.
    ``layers`` are the model's layers without a trailing Softmax (folded into the loss);
    ``offsets`` is what :func:`flatten` returned for their parameters.
    """
    plan = []
    for i, layer in enumerate(layers):
        if isinstance(layer, Dense):
            b_offset = offsets[i, "b"] if layer.bias else -1
            plan.append(DensePlan(layer.n_in, layer.n_out, offsets[i, "W"], b_offset,
                                  "identity", 0.0, 0.0))
        elif isinstance(layer, Dropout) and plan[-1].dropout == 0.0:
            plan[-1] = plan[-1]._replace(dropout=layer.p)
        elif (isinstance(layer, Activation) and plan[-1].activation == "identity"
              and plan[-1].dropout == 0.0):
            alpha = layer.alpha if isinstance(layer, LeakyReLU) else 0.0
            plan[-1] = plan[-1]._replace(activation=layer.op, alpha=alpha)
        else:
            return None
    return tuple(plan)


def check_layers(layers):
    """Raise a clear error unless ``layers`` can form a network; returns them as a list."""
    if isinstance(layers, Layer) or not isinstance(layers, (list, tuple)) or not layers:
        raise TypeError("layers must be a non-empty list of layers, e.g. "
                        "[Dense(784, 128), ReLU(), Dense(128, 10)]")
    for i, layer in enumerate(layers):
        if isinstance(layer, type) and issubclass(layer, Layer):
            raise TypeError(f"layer {i} is the class {layer.__name__}, not an instance; "
                            f"write {layer.__name__}() instead")
        if not isinstance(layer, Layer):
            raise TypeError(f"layer {i} is {type(layer).__name__} {layer!r}, not a fastmlp layer")
    if len({id(layer) for layer in layers}) != len(layers):
        raise ValueError("the same layer object appears twice; create a new layer for each "
                         "position (layers hold their own weights and buffers)")
    if not isinstance(layers[0], Dense):
        raise ValueError(f"the first layer must be Dense (it fixes the number of input "
                         f"features), got {layers[0]!r}")
    for i, layer in enumerate(layers[:-1]):
        if isinstance(layer, Softmax):
            raise ValueError(f"Softmax may only be the last layer (it is fused with the "
                             f"cross-entropy loss), found it at position {i}")
    # Only Dense layers change the width, so each must take what the Dense before it gives.
    previous = layers[0]
    for i, layer in enumerate(layers[1:], start=1):
        if isinstance(layer, Dense):
            if layer.n_in != previous.n_out:
                raise ValueError(
                    f"{layer.describe()} at position {i} expects {layer.n_in} inputs but the "
                    f"Dense layer before it, {previous.describe()}, gives {previous.n_out}; "
                    f"make them agree, e.g. Dense({previous.n_out}, {layer.n_out})")
            previous = layer
    return list(layers)


def layers_from_config(config):
    """The layer objects ``Sequential.config()`` describes (built later, by the model)."""
    layers = []
    for spec in config["layers"]:
        spec = dict(spec)
        kind = spec.pop("type")
        if kind not in LAYERS:
            raise ValueError(f"unknown layer type {kind!r}")
        layers.append(LAYERS[kind](**spec))
    return layers
