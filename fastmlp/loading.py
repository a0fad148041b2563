"""``fastmlp.load``: a model file back into a model, refusing bad files before allocating.

:mod:`fastmlp.serialization` checks the file (its header against its arrays); this module checks
what the file describes: the architecture in the header must call for exactly the parameter
arrays the file holds, with their shapes and dtype, all finite, before the model is built. So
a small file that claims an enormous network is refused at once.

Files of format version 2 also hold the random generator's state and, when the model had
one, the optimizer: both are checked in full before the model is returned, so a load gives
the whole model or an error naming the damaged part, never a model restored in part.
"""

from __future__ import annotations

import os

import numpy as np

from . import _validation as check
from .backends import BACKENDS
from .layers import Dense
from .model import Sequential
from .network import layers_from_config
from .optimizer_state import from_state
from .serialization import ModelFileError, read

__all__ = ["load"]


def load(path, backend=None):
    """Read a model written by :meth:`Sequential.save`.

    Parameters
    ----------
    path : str or path-like
    backend : {"numba", "numpy"} or None
        None keeps the backend the model was saved with.

    Returns
    -------
    Sequential
        With the weights, the random generator's state and the optimizer (``None`` if the
        file has none: format version 1, or a model saved before training) as saved, so
        ``fit`` continues where the saved run stopped.

    Raises
    ------
    FileNotFoundError
        Nothing at ``path``.
    ModelFileError
        The file is damaged, not a fastmlp model, hostile, or from an unknown format version;
        the message names the part (the architecture, a parameter, the optimizer section or
        its state vectors, the generator state). The architecture is checked against the
        stored arrays before anything is allocated.
    """
    shown = os.fspath(path)
    if backend is not None:
        check.check_choice(backend, BACKENDS, "backend")
    header, arrays = read(shown)
    config = header.get("config")
    if not isinstance(config, dict):
        raise ModelFileError(f"{shown} has a damaged header: no model configuration")
    specs = config.get("layers")
    if not isinstance(specs, list) or not all(isinstance(spec, dict) for spec in specs):
        raise ModelFileError(f"{shown} describes a model that cannot be built: its 'layers' "
                             f"should be a list of layer descriptions (dicts), found "
                             f"{specs!r:.60}")
    params, optimizer_state = _split_arrays(arrays, header, shown)
    random_state = _check_random_state(header.get("random_state"), shown)
    try:
        layers = layers_from_config(config)
        dtype = check.check_dtype(config["dtype"])
        _check_stored_params(layers, dtype, params, shown)
        model = Sequential(layers, loss=config["loss"], backend=backend or config["backend"],
                           dtype=dtype, seed=config.get("seed"))
    except KeyError as err:
        raise ModelFileError(f"{shown} describes a model that cannot be built: its "
                             f"configuration lacks the entry {err}") from None
    except (TypeError, ValueError) as err:
        if isinstance(err, ModelFileError):
            raise
        raise ModelFileError(f"{shown} describes a model that cannot be built: {err}") from None
    for i, param in enumerate(model._params):
        param[...] = params[f"param_{i}"]
    if "optimizer" in header:
        try:
            model.optimizer = from_state(header["optimizer"], optimizer_state, model._params)
        except ValueError as err:
            raise ModelFileError(f"{shown} has a damaged optimizer section: {err}") from None
    if random_state is not None:
        model._rng.bit_generator.state = random_state
    return model


def _split_arrays(arrays, header, shown):
    """The optimizer's state vectors (by state name) apart from the rest: the parameters,
    which :func:`_check_stored_params` checks by name."""
    params, state = {}, {}
    for name, array in arrays.items():
        if name.startswith("optimizer."):
            state[name[len("optimizer."):]] = array
        else:
            params[name] = array
    if state and "optimizer" not in header:
        raise ModelFileError(f"{shown} has a damaged optimizer section: it holds optimizer "
                             f"state vectors ({', '.join(sorted(state))}) but no optimizer "
                             f"description")
    return params, state


#: The keys of a PCG64 generator's state, as ``Generator.bit_generator.state`` gives it.
_PCG64_KEYS = {"bit_generator", "state", "has_uint32", "uinteger"}


def _check_random_state(state, shown):
    """The generator state the header stores (None if it stores none), checked in full."""
    if state is None:
        return None
    problem = None
    if not isinstance(state, dict) or set(state) != _PCG64_KEYS:
        problem = f"it should be a dict with the keys {sorted(_PCG64_KEYS)}"
    elif state["bit_generator"] != "PCG64":
        problem = f"the generator is {state['bit_generator']!r:.40}, not 'PCG64'"
    elif (not isinstance(state["state"], dict) or set(state["state"]) != {"state", "inc"}
          or not all(type(v) is int and 0 <= v < 2**128 for v in state["state"].values())):
        problem = "its 'state' should hold two integers 'state' and 'inc' in [0, 2**128)"
    elif type(state["has_uint32"]) is not int or state["has_uint32"] not in (0, 1):
        problem = "its 'has_uint32' should be 0 or 1"
    elif type(state["uinteger"]) is not int or not 0 <= state["uinteger"] < 2**32:
        problem = "its 'uinteger' should be an integer in [0, 2**32)"
    else:
        try:  # what numpy itself checks
            np.random.Generator(np.random.PCG64()).bit_generator.state = state
        except (TypeError, ValueError, OverflowError) as err:
            problem = str(err)
    if problem is not None:
        raise ModelFileError(f"{shown} has a damaged random generator state: {problem}")
    return state


def _check_stored_params(layers, dtype, arrays, shown):
    """Compare the parameters ``layers`` will allocate with the stored ones, before allocating.

    A file whose header claims Dense(20000, 20000) beside a few stored numbers is refused
    here, without allocating 1.6 GB first.
    """
    planned = []
    for layer in layers:
        if isinstance(layer, Dense):  # the only layer with parameters: W, then b
            planned += [(layer.n_in, layer.n_out)] + ([(layer.n_out,)] if layer.bias else [])
    if len(arrays) != len(planned):
        raise ModelFileError(f"{shown} is damaged: the architecture has {len(planned)} "
                             f"parameter arrays but the file holds {len(arrays)}")
    for i, shape in enumerate(planned):
        stored = arrays.get(f"param_{i}")
        if stored is None or stored.shape != shape or stored.dtype != dtype:
            found = "nothing" if stored is None else f"{stored.dtype} {stored.shape}"
            raise ModelFileError(f"{shown} is damaged: parameter {i} should be "
                                 f"{np.dtype(dtype).name} {shape}, found {found}")
        if not np.isfinite(stored).all():
            raise ModelFileError(f"{shown} is damaged: parameter {i} holds NaN or infinite "
                                 f"values")
