"""Reference backend: every op in plain vectorised NumPy, written to read like the maths.

Conventions shared with ``numba_ops`` (a test checks the signatures match):

- Shapes are batch-first: ``x`` is ``(n, n_in)``, ``W`` is ``(n_in, n_out)``, ``b`` is ``(n_out,)``.
- Every op writes its result into caller-provided arrays (``out``, ``dx``, ...) of the operands'
  dtype, so that buffers can be allocated once and reused on every step.
- Integer class labels ``y`` are ``(n,)`` int64 in ``[0, k)``.
- Optimizer updates modify ``param`` and the state arrays in place, with PyTorch's semantics.
- Losses take optional per-sample ``weights`` ``(n,)`` (non-negative, cast to the arrays'
  dtype): the loss is then ``sum_i w_i l_i / sum_i w_i`` (scikit-learn's weighted mean, with
  ``l_i`` the sample's loss), its gradient ``w_i dl_i / sum_i w_i``; weights summing to zero
  give a loss of 0 and a zero gradient. ``None`` is the plain batch mean.

The activations and the losses are written in ``_numpy_activations`` and ``_numpy_losses``
and re-exported here; dense layers, dropout, the optimizers and the numerical-gradient loop
(built from these very ops) are below.
"""

from __future__ import annotations

import math

import numpy as np

from ._numgrad_spec import KINKED, NumericalGradient, check_spec
from ._numpy_activations import (  # noqa: F401 - the backend's ops, re-exported
    leaky_relu_backward,
    leaky_relu_forward,
    relu_backward,
    relu_forward,
    sigmoid_backward,
    sigmoid_forward,
    softmax_forward,
    tanh_backward,
    tanh_forward,
)
from ._numpy_losses import (  # noqa: F401 - the backend's ops, re-exported
    mse,
    mse_backward,
    sigmoid_bce,
    sigmoid_bce_backward,
    softmax_xent,
    softmax_xent_backward,
)

# --------------------------------------------------------------------------- dense


def dense_forward(x, W, b, out):
    """Affine map ``out = x @ W + b``.

    Parameters
    ----------
    x : (n, n_in) array
    W : (n_in, n_out) array
    b : (n_out,) array or None
        None for a layer without bias.
    out : (n, n_out) array, written.
    """
    np.matmul(x, W, out=out)
    if b is not None:
        out += b


def dense_backward(x, W, dz, dx, dW, db):
    """Gradients of a dense layer given ``dz = dL/d(x @ W + b)``.

    Parameters
    ----------
    x : (n, n_in) array
        The layer's input from the forward pass.
    W : (n_in, n_out) array
    dz : (n, n_out) array
    dx : (n, n_in) array or None
        Written with ``dz @ W.T``; None skips it (the first layer needs no input gradient).
    dW : (n_in, n_out) array, written with ``x.T @ dz``.
    db : (n_out,) array or None, written with the column sums of ``dz``.
    """
    np.matmul(x.T, dz, out=dW)
    if db is not None:
        np.sum(dz, axis=0, out=db)
    if dx is not None:
        np.matmul(dz, W.T, out=dx)


# --------------------------------------------------------------------------- dropout


def dropout_forward(x, mask, out):
    """``out = x * mask``, mask holding ``0`` or ``1 / (1 - p)`` (inverted dropout); ``(n, m)``."""
    np.multiply(x, mask, out=out)


def dropout_backward(da, mask, out):
    """``out = da * mask``, the same mask as the forward pass; ``(n, m)``."""
    np.multiply(da, mask, out=out)


# --------------------------------------------------------------------------- optimizers


def sgd_update(param, grad, velocity, lr, momentum, nesterov, weight_decay):
    """One SGD step in place, as ``torch.optim.SGD`` (dampening 0).

    Parameters
    ----------
    param, grad, velocity : arrays of one shape
        ``velocity`` is the momentum buffer (zeros before the first step); unused when
        ``momentum == 0``.
    lr, momentum, weight_decay : float
    nesterov : bool
    """
    g = grad + weight_decay * param if weight_decay else grad
    if momentum:
        velocity *= momentum
        velocity += g
        g = g + momentum * velocity if nesterov else velocity
    param -= lr * g


def rmsprop_update(param, grad, sq_avg, lr, rho, eps, weight_decay):
    """One RMSprop step in place, as ``torch.optim.RMSprop`` (``alpha`` is ``rho`` here).

    ``sq_avg = rho * sq_avg + (1 - rho) * g**2``; ``param -= lr * g / (sqrt(sq_avg) + eps)``.
    All arrays share ``param``'s shape.
    """
    g = grad + weight_decay * param if weight_decay else grad
    sq_avg *= rho
    sq_avg += (1 - rho) * g * g
    param -= lr * g / (np.sqrt(sq_avg) + eps)


def adam_update(param, grad, m, v, lr, beta1, beta2, eps, step, weight_decay, decoupled):
    """One Adam (or AdamW, ``decoupled=True``) step in place, as ``torch.optim.Adam[W]``.

    Parameters
    ----------
    param, grad, m, v : arrays of one shape
        ``m`` and ``v`` are the first and second moment estimates (zeros before step 1).
    lr, beta1, beta2, eps, weight_decay : float
    step : int
        The 1-based number of this step, for bias correction.
    decoupled : bool
        True shrinks the weights directly (``param *= 1 - lr * weight_decay``, AdamW);
        False adds ``weight_decay * param`` to the gradient (L2, Adam).
    """
    if weight_decay and decoupled:
        param *= 1 - lr * weight_decay
        g = grad
    else:
        g = grad + weight_decay * param if weight_decay else grad
    m *= beta1
    m += (1 - beta1) * g
    v *= beta2
    v += (1 - beta2) * g * g
    step_size = lr / (1 - beta1**step)
    # math.sqrt keeps the bias correction a Python float; np.sqrt would return a float64
    # scalar, which silently turns the whole float32 update into float64 temporaries.
    denom = np.sqrt(v) / math.sqrt(1 - beta2**step) + eps
    param -= step_size * m / denom


# --------------------------------------------------------------------------- gradients
# The reference numerical gradient: the plain loop, one full forward pass through the ops
# above per evaluation. For every parameter it sets θ + h, runs the whole network, takes the
# loss, sets θ - h, does the same, restores θ and divides the difference by 2h. The fast path
# in ``_numgrad_numba`` must reproduce these numbers; the tests compare the two.
#
# Rounding: L(θ + h) and L(θ - h) are float64 numbers of size L, so their difference divided
# by 2h carries an absolute error of order ε·L/h (ε = 2.2e-16; measured ~0.6·ε·L/h against
# extended precision). A coordinate much smaller than that is noise, whichever way it is
# computed; choose h with that in mind (the truncation error grows like h²).


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
        ``loss="mse"``; values in [0, 1] for ``loss="binary_cross_entropy"``.
    weights : list of (n_l, n_{l+1}) float64 arrays
        Layer ``l`` computes ``z_l = a_{l-1} @ weights[l] + biases[l]`` with ``a_{-1} = X``.
    biases : list of (n_{l+1},) float64 arrays
        Zeros for a layer without bias (its gradient is computed all the same).
    activations : list of str
        Per layer, applied to ``z_l``: "identity", "relu", "leaky_relu", "sigmoid" or "tanh".
        The last is normally "identity"; cross-entropy applies the softmax itself.
    alphas : list of float
        Per layer, the negative slope of "leaky_relu"; ignored by the other activations.
    loss : {"cross_entropy", "mse", "binary_cross_entropy"}
        Softmax cross-entropy averaged over samples; squared error, or sigmoid binary
        cross-entropy, averaged over all ``n * k`` output elements.
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
        return network_loss(X, target, params[:n_layers], params[n_layers:], activations,
                            alphas, loss, kinked_layers)

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


def network_loss(X, target, weights, biases, activations, alphas, loss, kinked=None):
    """The loss of a network given as plain arrays, computed with this module's ops.

    Arguments as :func:`numerical_gradient`; ``kinked`` lists per layer whether to record the
    signs of its pre-activations. Returns ``(loss, signs)``: the float64 batch loss and, for
    each layer flagged in ``kinked``, the boolean array ``z_l > 0``.
    """
    a, signs = X, []
    for layer, (W, b, name, alpha) in enumerate(zip(weights, biases, activations, alphas)):
        z = np.empty((a.shape[0], W.shape[1]), dtype=a.dtype)
        dense_forward(a, W, b, z)
        if kinked is not None and kinked[layer]:
            signs.append(z > 0)
        a = z
        if name != "identity":
            a = np.empty_like(z)
            if name == "leaky_relu":
                leaky_relu_forward(z, alpha, a)
            else:
                _ACTIVATIONS[name](z, a)
    if loss == "cross_entropy":
        return softmax_xent(a, target, np.empty_like(a)), signs
    if loss == "binary_cross_entropy":
        return sigmoid_bce(a, target, np.empty_like(a)), signs
    return mse(a, target), signs


_ACTIVATIONS = {"relu": relu_forward, "sigmoid": sigmoid_forward, "tanh": tanh_forward}
