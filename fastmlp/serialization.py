"""Saving and loading models: an ``.npz`` archive of plain arrays plus a JSON header.

No pickle anywhere: the header is JSON stored as bytes in a ``uint8`` array, the weights are
numeric arrays, and loading uses ``np.load(..., allow_pickle=False)``. Files are written to
a temporary name and renamed, so an interrupted save never leaves half a file behind.
"""

from __future__ import annotations

import json
import os
import secrets
import zipfile

import numpy as np

from . import __version__
from ._validation import check_choice
from .backends import BACKENDS

FORMAT = "fastmlp-model"
FORMAT_VERSION = 1
#: The first bytes of a zip archive (an .npz file), and of an empty one.
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


class ModelFileError(ValueError):
    """A file that is not a readable fastmlp model (damaged, foreign or too new)."""


def save(model, path):
    """Write ``model``'s architecture and weights to ``path`` (the name is used as given)."""
    path = os.fspath(path)
    params = model.parameters()
    header = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "fastmlp_version": __version__,
        "config": model.config(),
        "params": [{"shape": list(p.shape), "dtype": p.dtype.name} for p in params],
    }
    arrays = {f"param_{i}": p for i, p in enumerate(params)}
    arrays["header"] = np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8)
    directory = os.path.dirname(os.path.abspath(path))
    # Not tempfile.mkstemp: its files are private (0600), and the rename would keep that mode.
    # os.open with 0o666 gives the permissions any new file gets under the user's umask.
    tmp = os.path.join(directory, f".fastmlp-{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


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
    ModelFileError
        The file is damaged, not a fastmlp model, or from an unknown format version.
    """
    path = os.fspath(path)
    if backend is not None:
        check_choice(backend, BACKENDS, "backend")
    try:
        # Our own handle: np.load leaks the file it opened when the zip turns out damaged.
        with open(path, "rb") as f:
            if f.read(4) not in _ZIP_MAGIC:
                # np.load would take such a file for a pickle (or a bare .npy array).
                raise ValueError("it does not start like a zip archive")
            f.seek(0)
            with np.load(f, allow_pickle=False) as archive:
                arrays = {name: archive[name] for name in archive.files}
    except FileNotFoundError:
        raise
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as err:
        raise ModelFileError(f"{path} is not a readable fastmlp model file (expected an .npz "
                             f"archive written by model.save): {err}") from None
    for name, value in arrays.items():
        if not isinstance(value, np.ndarray):  # a member that is not in .npy format
            raise ModelFileError(f"{path} is damaged: its entry {name!r} is not a NumPy array; "
                                 f"save models with model.save(path)")
    if "header" not in arrays:
        raise ModelFileError(f"{path} is an .npz archive but not a fastmlp model (it has no "
                             f"header); save models with model.save(path)")
    header = _read_header(path, arrays.pop("header"))
    config = header["config"]
    try:
        model = model_from_config(config, backend=backend)
    except KeyError as err:
        raise ModelFileError(f"{path} describes a model that cannot be built: its "
                             f"configuration lacks the entry {err}") from None
    except (TypeError, ValueError) as err:
        raise ModelFileError(f"{path} describes a model that cannot be built: {err}") from None
    params = model.parameters()
    if len(arrays) != len(params):
        raise ModelFileError(f"{path} is damaged: the architecture has {len(params)} parameter "
                             f"arrays but the file holds {len(arrays)}")
    for i, param in enumerate(params):
        stored = arrays.get(f"param_{i}")
        if stored is None or stored.shape != param.shape or stored.dtype != param.dtype:
            found = "nothing" if stored is None else f"{stored.dtype} {stored.shape}"
            raise ModelFileError(f"{path} is damaged: parameter {i} should be {param.dtype} "
                                 f"{param.shape}, found {found}")
        if not np.isfinite(stored).all():
            raise ModelFileError(f"{path} is damaged: parameter {i} holds NaN or infinite "
                                 f"values")
        param[...] = stored
    return model


def _read_header(path, raw):
    try:
        header = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ModelFileError(f"{path} has a damaged header: {err}") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ModelFileError(f"{path} is not a fastmlp model file (its header does not say "
                             f"format={FORMAT!r})")
    version = header.get("format_version")
    if version != FORMAT_VERSION:
        raise ModelFileError(
            f"{path} uses model format version {version!r}, but this fastmlp ({__version__}) "
            f"reads version {FORMAT_VERSION}; upgrade fastmlp to read it, or re-save the model "
            f"with the version that wrote it")
    if not isinstance(header.get("config"), dict):
        raise ModelFileError(f"{path} has a damaged header: no model configuration")
    return header


def model_from_config(config, dtype=None, backend=None):
    """Build an untrained model from :meth:`Sequential.config` output, optionally retyped."""
    from .layers import LAYERS
    from .model import Sequential

    layers = []
    for spec in config["layers"]:
        spec = dict(spec)
        kind = spec.pop("type")
        if kind not in LAYERS:
            raise ValueError(f"unknown layer type {kind!r}")
        layers.append(LAYERS[kind](**spec))
    return Sequential(layers, loss=config["loss"], backend=backend or config["backend"],
                      dtype=dtype or config["dtype"], seed=config.get("seed"))
