"""Reference central-difference gradients: the plain loop, one full forward pass per evaluation.

This module is the readable definition of the numerical gradient. For every parameter it sets
``θ + h``, runs the whole network, takes the loss, sets ``θ - h``, does the same, restores ``θ``
and divides the difference by ``2h``. The fast path in ``_numgrad_numba`` must reproduce these
numbers; the tests compare the two.

The network is given as plain arrays (see :func:`numerical_gradient`), so this module needs no
layer objects and imports nothing from the rest of the package except input checks.

Rounding: ``L(θ + h)`` and ``L(θ - h)`` are float64 numbers of size ``L``, so their difference
divided by ``2h`` carries an absolute error of order ``ε·L/h`` (ε = 2.2e-16; measured ~0.6·ε·L/h
against extended precision). A coordinate much smaller than that is noise, whichever way it is
computed; choose ``h`` with that in mind (the truncation error grows like ``h²``).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .._validation import check_choice

ACTIVATIONS = ("identity", "relu", "leaky_relu", "sigmoid", "tanh")
LOSSES = ("cross_entropy", "mse")
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


def activate(z, name, alpha):
    """Apply activation ``name`` to the pre-activation ``z`` ``(n, m)``; returns a new array."""
    if name == "relu":
        return np.where(z > 0, z, 0.0)
    if name == "leaky_relu":
        return np.where(z > 0, z, alpha * z)
    if name == "sigmoid":
        # exp(-|z|) never overflows; both branches equal 1 / (1 + exp(-z)).
        e = np.exp(-np.abs(z))
        return np.where(z >= 0, 1.0, e) / (1.0 + e)
    if name == "tanh":
        return np.tanh(z)
    return z.copy()


def forward(X, weights, biases, activations, alphas):
    """Run the network; return its output ``(n, k)`` and every pre-activation ``z_l``."""
    a = X
    pre_activations = []
    for W, b, name, alpha in zip(weights, biases, activations, alphas):
        z = a @ W + b
        pre_activations.append(z)
        a = activate(z, name, alpha)
    return a, pre_activations


def loss_value(out, target, loss):
    """Batch loss of the network output ``out`` ``(n, k)``.

    ``"cross_entropy"``: mean over samples of ``log(sum(exp(out - max))) - (out[y] - max)``,
    the softmax cross-entropy with the log-sum-exp shift. ``"mse"``: mean of ``(out - t)**2``
    over all ``n * k`` elements.
    """
    if loss == "cross_entropy":
        shifted = out - out.max(axis=1, keepdims=True)
        per_sample = np.log(np.exp(shifted).sum(axis=1)) - shifted[np.arange(len(target)), target]
        return float(np.mean(per_sample))
    diff = out - target
    return float(np.mean(diff * diff))


def numerical_gradient(X, target, weights, biases, activations, alphas, loss, eps):
    """Central-difference gradient of the loss over every weight and bias (float64).

    Each coordinate is ``(L(θ + h e_i) - L(θ - h e_i)) / 2h`` where both losses come from a
    full forward pass; the inputs are copied first and never modified.

    Parameters
    ----------
    X : (n, n_in) float64 array
        The batch.
    target : (n,) int64 array or (n, k) float64 array
        Class labels in ``[0, k)`` for ``loss="cross_entropy"``; regression targets for
        ``loss="mse"``.
    weights : list of (n_l, n_{l+1}) float64 arrays
        Layer ``l`` computes ``z_l = a_{l-1} @ weights[l] + biases[l]`` with ``a_{-1} = X``.
    biases : list of (n_{l+1},) float64 arrays
        Zeros for a layer without bias (its gradient is computed all the same).
    activations : list of str
        Per layer, applied to ``z_l``: "identity", "relu", "leaky_relu", "sigmoid" or "tanh".
        The last is normally "identity"; cross-entropy applies the softmax itself.
    alphas : list of float
        Per layer, the negative slope of "leaky_relu"; ignored by the other activations.
    loss : {"cross_entropy", "mse"}
        Softmax cross-entropy averaged over samples, or squared error averaged over all
        ``n * k`` output elements.
    eps : float
        The step ``h``.

    Returns
    -------
    NumericalGradient
        The 4-tuple ``(grads_W, grads_b, kinks_W, kinks_b)``:

        - ``grads_W``, ``grads_b``: lists of float64 arrays shaped like ``weights``/``biases``.
        - ``kinks_W``, ``kinks_b``: lists of boolean arrays of the same shapes, True where the
          ``θ + h`` or ``θ - h`` evaluation moves some relu/leaky_relu pre-activation to the
          other side of zero (``z > 0`` versus ``z <= 0``) than the unperturbed pass does.
          Their counts per array are the attributes ``kink_counts_W`` and ``kink_counts_b``.
    """
    n_layers = len(weights)
    shapes = [np.shape(P) for P in list(weights) + list(biases)]
    coords = [(k, idx) for k, shape in enumerate(shapes) for idx in np.ndindex(shape)]
    values, kinked = central_differences(
        X, target, weights, biases, activations, alphas, loss, eps, coords
    )
    grads = [np.zeros(shape) for shape in shapes]
    masks = [np.zeros(shape, dtype=bool) for shape in shapes]
    for (k, idx), value, kink in zip(coords, values, kinked):
        grads[k][idx] = value
        masks[k][idx] = kink
    return NumericalGradient(grads[:n_layers], grads[n_layers:], masks[:n_layers], masks[n_layers:])


def central_differences(X, target, weights, biases, activations, alphas, loss, eps, coords):
    """The reference loop over chosen coordinates only (benchmarks time it on a sample).

    ``coords`` lists ``(k, idx)`` pairs: parameter array ``k`` (the weights, then the biases)
    and an index tuple into it. Returns float64 ``values`` and boolean ``kinked`` arrays aligned
    with ``coords``; the other arguments are those of :func:`numerical_gradient`.
    """
    check_spec(X, target, weights, biases, activations, alphas, loss, eps)
    X = np.ascontiguousarray(X, dtype=np.float64)
    target = np.asarray(target, dtype=np.int64 if loss == "cross_entropy" else np.float64)
    # Perturb copies, so the caller's arrays are untouched even if something raises midway.
    params = [np.array(W, dtype=np.float64) for W in weights]
    params += [np.array(b, dtype=np.float64) for b in biases]
    n_layers = len(weights)
    kinked_layers = [name in KINKED for name in activations]

    def evaluate():
        out, zs = forward(X, params[:n_layers], params[n_layers:], activations, alphas)
        signs = [z > 0 for z, has_kink in zip(zs, kinked_layers) if has_kink]
        return loss_value(out, target, loss), signs

    _, base_signs = evaluate()
    values = np.empty(len(coords))
    kinked = np.zeros(len(coords), dtype=bool)
    for c, (k, idx) in enumerate(coords):
        P = params[k]
        original = P[idx]
        P[idx] = original + eps
        loss_plus, signs_plus = evaluate()
        P[idx] = original - eps
        loss_minus, signs_minus = evaluate()
        P[idx] = original
        values[c] = (loss_plus - loss_minus) / (2 * eps)
        kinked[c] = any(
            (sp != s0).any() or (sm != s0).any()
            for s0, sp, sm in zip(base_signs, signs_plus, signs_minus)
        )
    return values, kinked
