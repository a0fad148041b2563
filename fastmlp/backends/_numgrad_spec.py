"""What both numerical-gradient paths share: the network spec's check and their result type.

The reference loop is :func:`fastmlp.backends.numpy_ops.numerical_gradient`, the fast path
:func:`fastmlp.backends._numgrad_numba.numerical_gradient`; both take the network as plain
arrays and return a :class:`NumericalGradient`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .._validation import check_choice

ACTIVATIONS = ("identity", "relu", "leaky_relu", "sigmoid", "tanh")
LOSSES = ("cross_entropy", "mse", "binary_cross_entropy")
#: Activations with a kink at zero, where a central difference may straddle the corner.
KINKED = ("relu", "leaky_relu")


class NumericalGradient(NamedTuple):
    """What both ``numerical_gradient`` paths return; unpacks as a 4-tuple.

    ``grads_W`` / ``grads_b``: float64 arrays shaped like the weights / biases.
    ``kinks_W`` / ``kinks_b``: boolean arrays of the same shapes, True where the ``θ + h`` or
    ``θ - h`` evaluation moves some relu/leaky_relu pre-activation to the other side of zero
    (``z > 0`` versus ``z <= 0``) than the unperturbed pass does. Masks rather than counts, so
    that a report can leave exactly those coordinates out of its errors; the counts are
    ``kink_counts_W`` / ``kink_counts_b``.
    """

    grads_W: list
    grads_b: list
    kinks_W: list
    kinks_b: list

    @property
    def kink_counts_W(self):
        """Per weight matrix, the number of kink coordinates (ints)."""
        return [int(mask.sum()) for mask in self.kinks_W]

    @property
    def kink_counts_b(self):
        """Per bias vector, the number of kink coordinates (ints)."""
        return [int(mask.sum()) for mask in self.kinks_b]


def check_spec(X, target, weights, biases, activations, alphas, loss, eps):
    """Raise ``ValueError`` unless the network spec is consistent; shared by both paths."""
    check_choice(loss, LOSSES, "loss")
    n_layers = len(weights)
    if n_layers == 0 or not (len(biases) == len(activations) == len(alphas) == n_layers):
        raise ValueError(
            f"numerical_gradient needs one bias, activation and alpha per weight matrix; got "
            f"{n_layers} weights, {len(biases)} biases, {len(activations)} activations and "
            f"{len(alphas)} alphas"
        )
    for name in activations:
        check_choice(name, ACTIVATIONS, "activation")
    if np.ndim(X) != 2 or np.shape(X)[0] == 0:
        raise ValueError(f"X must be a non-empty (n, n_in) array, got shape {np.shape(X)}")
    width = np.shape(X)[1]
    for layer, (W, b) in enumerate(zip(weights, biases)):
        if np.ndim(W) != 2 or W.shape[0] != width or np.shape(b) != (W.shape[1],):
            raise ValueError(
                f"layer {layer}: expected W of shape ({width}, m) and b of shape (m,), got "
                f"W {np.shape(W)} and b {np.shape(b)}; check the order of weights and biases"
            )
        width = W.shape[1]
    n = np.shape(X)[0]
    expected = (n,) if loss == "cross_entropy" else (n, width)
    if np.shape(target) != expected:
        raise ValueError(
            f"loss {loss!r} expects target of shape {expected}, got {np.shape(target)}"
        )
    if loss == "cross_entropy" and not (0 <= np.min(target) and np.max(target) < width):
        raise ValueError(
            f"class labels must lie in [0, {width}) for {width} outputs, got values from "
            f"{np.min(target)} to {np.max(target)}"
        )
    if not (np.isfinite(eps) and eps > 0):
        raise ValueError(f"eps must be a finite number > 0, got {eps!r}")
