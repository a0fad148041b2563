"""Gradients of a model's loss: analytic (backprop) and numerical (central differences).

Numerical gradients are always taken in float64 on a copy of the model, with dropout off:
for every parameter θᵢ, ``(L(θ + h eᵢ) − L(θ − h eᵢ)) / 2h``. The model's backend computes
them from the model's layer plan: the NumPy reference runs a full forward pass per
evaluation, the Numba path computes the same losses while recomputing only what a
perturbation changes. Comparing the two kinds is :mod:`fastmlp.gradient_check`'s job.
"""

from __future__ import annotations

import numpy as np

from ._validation import check_positive_number
from .layers import Activation, Dense


def analytic_gradients(model, X, y, weights=None):
    """Backpropagated gradients of the mean loss, in the model's dtype, dropout off.

    ``X``, ``y`` (and the sample ``weights (n,)``, for the weighted mean loss, or None) are
    already validated. Returns copies aligned with ``model.parameters()``.
    """
    return loss_and_gradients(model, X, y, weights)[1]


def loss_and_gradients(model, X, y, weights=None):
    """``(mean loss, gradients)``: :func:`analytic_gradients` with the loss its forward pass
    computed, for callers that need both (L-BFGS), at the cost of one pass."""
    out = model._forward(X, training=False)
    loss = model._loss.forward(model.ops, out, y, weights)
    model._backward(model._loss.backward(model.ops))
    return float(loss), [np.copy(g) for g in model._grads]


def network_spec(model):
    """The plain-array description the backends' ``numerical_gradient`` takes, or None.

    Read from the model's layer plan (:attr:`Sequential.plan`). Returns ``(weights, biases,
    activations, alphas)`` as float64 copies, or None when the layer stack has no plan (e.g.
    two activations in a row). Dropout is left out: gradients are taken with dropout off.
    """
    if model.plan is None:
        return None
    theta = model.flat_params
    weights, biases = [], []
    for layer in model.plan:
        w_end = layer.w_offset + layer.n_in * layer.n_out
        weights.append(theta[layer.w_offset:w_end].reshape(layer.n_in, layer.n_out)
                       .astype(np.float64))
        biases.append(theta[layer.b_offset:layer.b_offset + layer.n_out].astype(np.float64)
                      if layer.b_offset >= 0 else np.zeros(layer.n_out))
    return (weights, biases, [layer.activation for layer in model.plan],
            [layer.alpha for layer in model.plan])


def numerical_gradients(model, X, y, eps=1e-5, with_kinks=False):
    """Central-difference gradients in float64, a list aligned with ``model.parameters()``.

    With ``with_kinks=True`` also returns a list of boolean masks (or None where unknown):
    True where the ±h perturbation moves a ReLU pre-activation across zero.
    """
    eps = float(check_positive_number(eps, "eps"))
    spec = network_spec(model)
    if spec is None:
        grads, kinks = _by_full_forward_passes(model, X, y, eps), None
    else:
        weights, biases, activations, alphas = spec
        target = y if model.is_classifier else np.asarray(y, dtype=np.float64)
        X64 = np.ascontiguousarray(X, dtype=np.float64)
        gW, gb, kW, kb = model.ops.numerical_gradient(X64, target, weights, biases, activations,
                                                      alphas, model.loss, eps)
        grads, kinks = [], []
        for layer, g_w, g_b, k_w, k_b in zip(model.plan, gW, gb, kW, kb):
            grads.append(g_w)
            kinks.append(k_w)
            if layer.b_offset >= 0:
                grads.append(g_b)
                kinks.append(k_b)
    return (grads, kinks) if with_kinks else grads


def _by_full_forward_passes(model, X, y, eps):
    """The plain loop on a float64 NumPy copy, for stacks the backends' spec cannot express."""
    twin = model.copy(dtype="float64", backend="numpy")
    X64 = np.ascontiguousarray(X, dtype=np.float64)
    y64 = y if model.is_classifier else np.asarray(y, dtype=np.float64)

    def loss():
        return twin._loss.forward(twin.ops, twin._forward(X64), y64)

    grads = []
    for param in twin.parameters():
        grad = np.empty_like(param)
        flat, gflat = param.reshape(-1), grad.reshape(-1)
        for i in range(flat.size):
            saved = flat[i]
            flat[i] = saved + eps
            plus = loss()
            flat[i] = saved - eps
            minus = loss()
            flat[i] = saved
            gflat[i] = (plus - minus) / (2 * eps)
        grads.append(grad)
    return grads


def param_names(model):
    """``["W1", "b1", "W2", ...]``, one name per array of :meth:`Sequential.parameters`."""
    names = []
    dense = [layer for layer in model._network if isinstance(layer, Dense)]
    for k, layer in enumerate(dense, start=1):
        names.append(f"W{k}")
        if layer.bias:
            names.append(f"b{k}")
    return names


def loss_and_signs(model, X, y):
    """The loss with dropout off, and ``z > 0`` for the input of each ReLU-like layer."""
    a, signs = X, []
    for layer in model._network:
        if isinstance(layer, Activation) and layer.op in ("relu", "leaky_relu"):
            signs.append(a > 0)
        a = layer.forward(a, training=False)
    return float(model._loss.forward(model.ops, a, y)), signs
