"""Moving models between fastmlp and PyTorch: ``to_torch`` and ``from_torch``.

fastmlp's Dense layer computes ``x @ W + b`` with ``W`` of shape ``(n_in, n_out)``;
``torch.nn.Linear`` computes ``x @ weight.T + bias`` with ``weight`` of shape
``(out_features, in_features)``. So a weight crosses over transposed, and a bias as it is.
Activations map one to one (ReLU, LeakyReLU with its slope, Sigmoid, Tanh), and so does
Dropout. A classifier's torch module ends with the logits (what ``nn.CrossEntropyLoss``
takes), unless ``softmax=True`` asks for probabilities; a multi-label model's ends with the
logits too (what ``nn.BCEWithLogitsLoss`` takes), unless ``sigmoid=True`` asks for the
per-label probabilities.

torch is optional (``pip install "fastmlp[peers]"``, which pins a CPU-sized version) and
imported only when called.
"""

from __future__ import annotations

import numpy as np

from ..layers import Dense, Dropout, LeakyReLU, ReLU, Sigmoid, Tanh
from ..model import Sequential
from ._optional import require
from ._structure import as_model, network_layers, read_structure


def to_torch(model, softmax=False, sigmoid=False):
    """A ``torch.nn.Sequential`` computing what ``model`` computes, in eval mode.

    Parameters
    ----------
    model : Sequential, or an object with ``__fastmlp_model__()``
    softmax : bool
        For a classifier: end with ``nn.Softmax(dim=1)``, so the module returns
        probabilities (as ``predict_proba``) instead of logits. Logits (the default) are what
        ``torch.nn.CrossEntropyLoss`` expects for further training.
    sigmoid : bool
        For a multi-label model (``loss="binary_cross_entropy"``): end with ``nn.Sigmoid()``,
        so the module returns the probability of each label (as ``predict_proba``) instead
        of logits; for a binary :class:`fastmlp.sklearn.MLPClassifier` (one logistic unit),
        the probability of its second class, ``predict_proba(X)[:, 1:]``. Logits (the
        default) are what ``torch.nn.BCEWithLogitsLoss`` expects.

    Returns
    -------
    torch.nn.Sequential
        ``Linear``, ``ReLU``, ``LeakyReLU``, ``Sigmoid``, ``Tanh`` and ``Dropout`` modules in
        the model's order, with copies of its weights in its dtype, in eval mode (so Dropout
        is off and the outputs match fastmlp's; call ``.train()`` to train it). Input
        ``(batch, n_inputs)``, output ``(batch, n_outputs)``.

    Raises
    ------
    ImportError
        torch is not installed (the message says how to install it).
    TypeError, ValueError
        ``model`` is not a fastmlp model, holds a layer torch has no module for (the
        message names the first one), or ``softmax``/``sigmoid`` is asked of a model whose
        loss does not end in that function.
    """
    torch = require("torch", "to_torch")
    for name, value in (("softmax", softmax), ("sigmoid", sigmoid)):
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{name} must be True or False, got {value!r}")
    if softmax and sigmoid:
        raise ValueError("softmax=True and sigmoid=True cannot both be asked: a classifier "
                         "takes softmax=True, a multi-label model sigmoid=True")
    structure = read_structure(model)  # refuses what cannot be exported, naming it
    loss = as_model(model).loss
    if softmax and structure.head != "softmax":
        raise ValueError(f"softmax=True needs a classifier (loss='cross_entropy'); this model "
                         f"has loss={loss!r}" + _OUTPUT_OPTION[structure.head])
    if sigmoid and structure.head not in ("sigmoid", "binary"):
        raise ValueError(f"sigmoid=True needs a multi-label model "
                         f"(loss='binary_cross_entropy'); this model has loss={loss!r}"
                         + _OUTPUT_OPTION[structure.head])
    nn = torch.nn
    dtype = getattr(torch, structure.dtype.name)
    modules = []
    for layer in network_layers(as_model(model)):
        if isinstance(layer, Dense):
            linear = nn.Linear(layer.n_in, layer.n_out, bias=layer.bias, dtype=dtype)
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(np.array(layer.W.T)))
                if layer.bias:
                    linear.bias.copy_(torch.from_numpy(np.array(layer.b)))
            modules.append(linear)
        elif type(layer) is LeakyReLU:
            modules.append(nn.LeakyReLU(layer.alpha))
        elif type(layer) in (ReLU, Sigmoid, Tanh):
            modules.append(getattr(nn, type(layer).__name__)())
        elif type(layer) is Dropout:
            modules.append(nn.Dropout(layer.p))
    if softmax:
        modules.append(nn.Softmax(dim=1))
    if sigmoid:
        modules.append(nn.Sigmoid())
    return nn.Sequential(*modules).eval()


#: What to ask of to_torch instead, by head, ending the message of a wrong softmax/sigmoid.
_OUTPUT_OPTION = {"softmax": ", whose probabilities softmax=True gives",
                  "sigmoid": ", whose per-label probabilities sigmoid=True gives",
                  "binary": " (a binary classifier with one logistic unit: sigmoid=True gives "
                            "the probability of the second class)",
                  "identity": " (a regressor: its module already returns predict's values)"}


def from_torch(module, loss=None, backend="numba", dtype=None, seed=None):
    """A fastmlp model with the layers and weights of a ``torch.nn.Sequential``.

    Parameters
    ----------
    module : torch.nn.Sequential
        Of ``Linear``, ``ReLU``, ``LeakyReLU``, ``Sigmoid``, ``Tanh``, ``Dropout`` and
        ``Identity`` modules (nested ``Sequential`` containers are read in order), the first
        a ``Linear``; a final ``Softmax(dim=1)`` (or ``dim=-1``) marks a classifier.
    loss : {"cross_entropy", "mse", "binary_cross_entropy"} or None
        None: ``"cross_entropy"`` (a classifier whose last Linear gives the logits), as
        :class:`~fastmlp.Sequential`. Use ``"mse"`` for a regressor, and
        ``"binary_cross_entropy"`` for a multi-label model: its last Linear gives the logits,
        or a final ``Sigmoid`` the probabilities (that Sigmoid is then folded into the loss,
        as in :class:`~fastmlp.Sequential`).
    backend : {"numba", "numpy"}
    dtype : {"float32", "float64"} or None
        None keeps the module's dtype.
    seed : int or None
        Seeds later training (shuffling, dropout).

    Returns
    -------
    Sequential
        With copies of the module's weights; ``predict`` matches the module's output (argmax
        of it for a classifier).

    Raises
    ------
    ImportError
        torch is not installed.
    TypeError, ValueError
        ``module`` is not a Sequential, holds a module fastmlp has no layer for (the message
        names the first one and its position), Linear layers whose widths do not chain, or
        weights that are not float32/float64 or not finite.
    """
    torch = require("torch", "from_torch")
    nn = torch.nn
    if not isinstance(module, nn.Sequential):
        raise TypeError(f"from_torch needs a torch.nn.Sequential, got {type(module).__name__}; "
                        f"wrap Linear and activation modules in nn.Sequential(...)")
    children = list(_flatten(nn, module, ""))
    if not children:
        raise ValueError("the torch.nn.Sequential is empty; it needs at least one Linear")
    layers, weights, dtypes, softmax = [], [], set(), False
    previous = None  # (where, Linear) of the last Linear seen, to check widths chain
    for i, (where, child) in enumerate(children):
        kind = type(child)
        if kind is nn.Identity:
            continue
        if kind is nn.Softmax and i == len(children) - 1 and child.dim in (1, -1):
            softmax = True
            continue
        try:
            layer = _layer(nn, child)
        except (TypeError, ValueError) as err:  # e.g. Dropout(p=1), which fastmlp refuses
            raise ValueError(f"module {where}, {child}: {err}") from None
        if layer is None:
            raise ValueError(
                f"module {where}, {child}, has no fastmlp layer; supported: Linear, ReLU, "
                f"LeakyReLU, Sigmoid, Tanh, Dropout, Identity, and a final Softmax(dim=1)")
        if previous is None and kind is not nn.Linear:
            raise ValueError(f"module {where}, {child}, comes before the first Linear; "
                             f"fastmlp networks start with a Linear (it fixes the number of "
                             f"input features)")
        if kind is nn.Linear:
            if previous is not None and child.in_features != previous[1].out_features:
                raise ValueError(
                    f"shape mismatch: module {where}, {child}, takes {child.in_features} "
                    f"inputs but module {previous[0]}, {previous[1]}, gives "
                    f"{previous[1].out_features}")
            weights.append(_weights(torch, where, child, dtypes))
            previous = (where, child)
        layers.append(layer)
    if previous is None:
        raise ValueError("the torch.nn.Sequential holds no Linear module; fastmlp networks "
                         "start with one")
    if softmax and loss not in (None, "cross_entropy"):
        raise ValueError(f"the module ends with Softmax (a classifier), which goes with "
                         f"loss='cross_entropy', not {loss!r}")
    if dtype is None:
        if len(dtypes) > 1:
            raise ValueError(f"the module's Linear layers mix dtypes {sorted(dtypes)}; convert "
                             f"it with module.float() or module.double(), or pass dtype=")
        dtype = dtypes.pop()
    loss = "cross_entropy" if loss is None else loss
    n_out = previous[1].out_features
    if loss == "cross_entropy" and n_out < 2:
        raise ValueError(f"the last Linear gives {n_out} output, which a classifier "
                         f"(loss='cross_entropy') cannot use; pass loss='mse' for a regressor, "
                         f"or give a classifier one output per class")
    model = Sequential(layers, loss=loss, backend=backend, dtype=dtype, seed=seed)
    dense_layers = [layer for layer in model.layers if isinstance(layer, Dense)]
    for layer, (W, b) in zip(dense_layers, weights):
        layer.W[...] = W  # into the model's flat parameter vector, in the model's dtype
        if b is not None:
            layer.b[...] = b
    return model


def _layer(nn, child):
    """The fastmlp layer standing for the torch module ``child``, None if there is none.

    A Dense layer gets its weights later, once the model has built its parameter vector.
    """
    kind = type(child)
    if kind is nn.Linear:
        return Dense(child.in_features, child.out_features, bias=child.bias is not None)
    if kind is nn.LeakyReLU:
        return LeakyReLU(child.negative_slope)
    if kind is nn.Dropout:
        return Dropout(child.p)
    simple = {nn.ReLU: ReLU, nn.Sigmoid: Sigmoid, nn.Tanh: Tanh}.get(kind)
    return None if simple is None else simple()


def _flatten(nn, container, prefix):
    """``(position, module)`` for each leaf of nested Sequentials, positions such as ``2.1``."""
    for name, child in container.named_children():
        where = f"{prefix}{name}"
        if isinstance(child, nn.Sequential):
            yield from _flatten(nn, child, f"{where}.")
        else:
            yield where, child


def _weights(torch, where, linear, dtypes):
    """``(W (in, out), b (out,) or None)`` of ``linear`` as float64 arrays, checked."""
    weight = linear.weight.detach()
    if weight.dtype not in (torch.float32, torch.float64):
        raise ValueError(f"module {where}, {linear}, holds {weight.dtype} weights; fastmlp "
                         f"works in float32 or float64 (convert with module.float())")
    dtypes.add(str(weight.dtype).removeprefix("torch."))
    W = weight.cpu().numpy().T.astype(np.float64)
    b = None if linear.bias is None else linear.bias.detach().cpu().numpy().astype(np.float64)
    if not (np.isfinite(W).all() and (b is None or np.isfinite(b).all())):
        raise ValueError(f"module {where}, {linear}, holds NaN or infinite weights")
    return W, b
