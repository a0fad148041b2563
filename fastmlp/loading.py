"""``fastmlp.load``: a model file back into a model, refusing bad files before allocating.

:mod:`fastmlp.serialization` checks the file (its header against its arrays); this module checks
what the file describes: the architecture in the header must call for exactly the parameter
arrays the file holds, with their shapes and dtype, all finite, before the model is built. So
a small file that claims an enormous network is refused at once.
"""

from __future__ import annotations

import os

import numpy as np

from . import _validation as check
from .backends import BACKENDS
from .layers import Dense
from .model import Sequential
from .network import layers_from_config
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

    Raises
    ------
    FileNotFoundError
        Nothing at ``path``.
    ModelFileError
        The file is damaged, not a fastmlp model, hostile, or from an unknown format version.
        Its architecture is checked against the stored arrays before anything is allocated.
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
    try:
        layers = layers_from_config(config)
        dtype = check.check_dtype(config["dtype"])
        _check_stored_params(layers, dtype, arrays, shown)
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
        param[...] = arrays[f"param_{i}"]
    return model


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
