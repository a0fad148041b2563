"""An optimizer in a model file and back: :func:`file_entries` and :func:`from_state`.

Model files store an optimizer as JSON data (class, hyperparameters, schedule, counts) and
named arrays (its state vectors); :func:`from_state` checks all of it against the model's
parameters before building anything, so a damaged file never half restores an optimizer.
"""

from __future__ import annotations

import math
import numbers
import os
import warnings

import numpy as np

from . import schedules
from .optim import OPTIMIZER_TYPES


def file_entries(optimizer, params, path):
    """The header entry and the named arrays that store ``optimizer`` in the file ``path``.

    Returns
    -------
    info : dict or None
        The JSON part of :meth:`Optimizer.state_dict`; None, with a warning, when the
        optimizer cannot be stored (a schedule of the user's own: its behaviour is code).
    arrays : dict of str to (n_params,) ndarray
        ``"optimizer.NAME"`` for each state vector (empty with ``info`` None).
    """
    try:
        info, state = optimizer.state_dict(params)
    except TypeError as err:
        warnings.warn(f"{os.fspath(path)}: the model is saved without its optimizer: {err}; "
                      f"fit after fastmlp.load starts a fresh one", UserWarning, stacklevel=3)
        return None, {}
    return info, {f"optimizer.{name}": flat for name, flat in state.items()}


def from_state(info, arrays, params):
    """An optimizer bound to ``params`` in the state :meth:`Optimizer.state_dict` described.

    Everything is checked before the optimizer is built, so nothing is half restored.

    Parameters
    ----------
    info : dict
        The JSON part of :meth:`Optimizer.state_dict`.
    arrays : dict of str to (n_params,) ndarray
        The state vectors, named as the optimizer's ``state_names``.
    params : list of ndarray
        The model's parameters; the state vectors must hold one value per parameter scalar,
        in their dtype.

    Returns
    -------
    Optimizer

    Raises
    ------
    ValueError
        A message naming the part that is wrong: an unknown optimizer or schedule type,
        arguments the optimizer refuses, bad counts, missing, extra, non-finite or
        wrongly sized state vectors.
    """
    if not isinstance(info, dict):
        raise ValueError(f"the optimizer description should be a dict, found {info!r:.60}")
    missing = sorted({"type", "config", "iterations", "epochs", "current_lr"} - set(info))
    if missing:
        raise ValueError(f"the optimizer description lacks {', '.join(missing)}")
    name = info["type"]
    cls = OPTIMIZER_TYPES.get(name) if isinstance(name, str) else None
    if cls is None:
        raise ValueError(f"unknown optimizer type {name!r:.60}; known types are: "
                         f"{', '.join(OPTIMIZER_TYPES)}")
    config = info["config"]
    if not isinstance(config, dict) or "lr" not in config:
        raise ValueError(f"the {name} optimizer's config should be a dict with its lr, found "
                         f"{config!r:.80}")
    try:
        lr = schedules.from_config(config["lr"])
    except (TypeError, ValueError) as err:
        raise ValueError(f"the {name} optimizer's learning rate: {err}") from None
    try:
        optimizer = cls(**{**config, "lr": lr})
    except (TypeError, ValueError) as err:
        raise ValueError(f"the {name} optimizer cannot be rebuilt from its config "
                         f"{config!r:.120}: {err}") from None
    counts = {}
    for key in ("iterations", "epochs"):
        value = info[key]
        if type(value) is not int or value < 0:
            raise ValueError(f"the optimizer's {key} should be a count (an integer >= 0), "
                             f"found {value!r:.40}")
        counts[key] = value
    current_lr = info["current_lr"]
    if (isinstance(current_lr, bool) or not isinstance(current_lr, numbers.Real)
            or not math.isfinite(current_lr) or current_lr < 0):
        raise ValueError(f"the optimizer's current_lr should be a finite number >= 0, found "
                         f"{current_lr!r:.40}")
    _check_state_vectors(cls, arrays, params)
    optimizer.bind(params)
    for key, flat in arrays.items():
        optimizer.flat_state[key][...] = flat
    optimizer.iterations, optimizer.epochs = counts["iterations"], counts["epochs"]
    optimizer._first_epoch = counts["epochs"]
    optimizer.current_lr = float(current_lr)
    return optimizer


def _check_state_vectors(cls, arrays, params):
    expected = set(cls.state_names)
    if set(arrays) != expected:
        extra, absent = sorted(set(arrays) - expected), sorted(expected - set(arrays))
        detail = "; ".join(part for part in (
            f"missing {', '.join(absent)}" if absent else "",
            f"unexpected {', '.join(extra)}" if extra else "") if part)
        raise ValueError(f"the {cls.__name__} optimizer keeps the state vectors "
                         f"{', '.join(cls.state_names) or '(none)'}; {detail}")
    size = sum(p.size for p in params)
    dtype = params[0].dtype if params else np.dtype(np.float64)
    for key, flat in arrays.items():
        if flat.ndim != 1 or flat.size != size:
            raise ValueError(f"the optimizer's state vector {key!r} holds {flat.size:,} values "
                             f"(shape {flat.shape}), but the model has {size:,} parameters")
        if flat.dtype != dtype:
            raise ValueError(f"the optimizer's state vector {key!r} is {flat.dtype}, but the "
                             f"model's parameters are {np.dtype(dtype).name}")
        if not np.isfinite(flat).all():
            raise ValueError(f"the optimizer's state vector {key!r} holds NaN or infinite "
                             f"values")
