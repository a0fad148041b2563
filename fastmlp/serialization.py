"""The model file format: a JSON header and named arrays in a zip archive (an ``.npz`` file).

This module knows the file, not the model: :func:`write` stores a header (a dict of JSON
sections) and named numeric arrays; :func:`read` returns them after checking every part it
can check without knowing what they mean. Building a model from them is
:func:`fastmlp.load`'s job.

Layout (format versions 1 and 2). The archive holds one ``.npy`` member per array, stored
without compression, and ``header.npy``: the UTF-8 bytes of a JSON object, as a ``uint8``
array. The header says ``"format": "fastmlp-model"``, ``"format_version"``,
``"fastmlp_version"``, lists every array under ``"arrays"`` as ``{name: {"shape": [...],
"dtype": "float32"}}``, and carries the caller's sections (a model's ``"config"``). Files
written before the ``"arrays"`` list existed describe their ``param_<i>`` arrays in a
``"params"`` list; both are read.

Format version 2 has the same layout; a model file adds the sections ``"random_state"`` (the
generator's state) and, when the model has an optimizer, ``"optimizer"`` (class,
hyperparameters, schedule, counts) with its state vectors as the arrays
``optimizer.<name>``. Version 1 files, which have neither, still load.

No pickle: arrays are plain numbers, and the header is parsed as JSON. Reading a hostile file
is cheap: the header is bounded in size and nesting, and every array's shape and dtype in the
header are checked against its ``.npy`` preamble and its size in the archive before any array
is read. Arrays are stored, not compressed, so an archive cannot claim more data than it has:
reading costs at most about the file's size in memory.
"""

from __future__ import annotations

import json
import os
import re
import zipfile

import numpy as np

from ._atomic import atomic_write
from ._npz import (
    MAX_NPY_HEADER,
    ZIP_MAGIC,
    ModelFileError,
    check_size,
    open_regular,
    preamble,
    read_array,
    stored_members,
    unreadable,
    write_members,
)
from ._version import __version__

FORMAT = "fastmlp-model"
FORMAT_VERSION = 2
#: The format versions this release reads.
READABLE_VERSIONS = (1, 2)
#: Largest header accepted, in bytes (a 1,000-layer model needs about 150 kB).
MAX_HEADER_BYTES = 2**20
#: Deepest nesting of JSON lists/objects accepted in a header (a model's needs 5).
MAX_NESTING = 32
#: Most arrays a file may hold.
MAX_ARRAYS = 10_000
#: Sections of the header that the format itself writes.
RESERVED_SECTIONS = ("format", "format_version", "fastmlp_version", "arrays")
#: The array dtypes a file may hold (numbers only: no objects, strings or records).
DTYPES = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
          "float16", "float32", "float64")

_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]{0,199}\Z")
#: Bytes of a header scanned at a time for its nesting depth.
_SCAN = 2**16


# --------------------------------------------------------------------------- writing


def write(path, header, arrays):
    """Write ``header`` and ``arrays`` to ``path`` atomically.

    Parameters
    ----------
    path : str or path-like
        The file to create or replace; a symbolic link is followed. Only a regular file is
        ever replaced, and on any failure (or Ctrl-C) it keeps its old content.
    header : dict
        JSON-serialisable sections, e.g. ``{"config": model.config()}``; the names in
        :data:`RESERVED_SECTIONS` are added by this function.
    arrays : dict of str to numpy.ndarray
        Numeric arrays (dtypes in :data:`DTYPES`), each stored as ``<name>.npy``.

    Raises
    ------
    OSError
        The path cannot be written; the error names ``path``.
    TypeError, ValueError
        A section or array that the format cannot hold.
    """
    if not isinstance(header, dict) or any(not isinstance(k, str) for k in header):
        raise TypeError(f"header must be a dict with str keys, got {header!r:.80}")
    clash = sorted(set(header) & set(RESERVED_SECTIONS))
    if clash:
        raise ValueError(f"header sections {clash} are written by the file format itself")
    arrays = dict(arrays)
    for name, array in arrays.items():
        if not isinstance(name, str) or not _NAME.match(name) or name == "header":
            raise ValueError(f"array name {name!r} is not allowed: use letters, digits, '_', "
                             f"'.', '-' (at most 200), and not 'header'")
        if not isinstance(array, np.ndarray) or array.dtype.name not in DTYPES:
            raise TypeError(f"array {name!r} must be a numeric NumPy array, got "
                            f"{getattr(array, 'dtype', type(array).__name__)}")
    if len(arrays) > MAX_ARRAYS:
        raise ValueError(f"a file holds at most {MAX_ARRAYS} arrays, got {len(arrays)}")
    full = {"format": FORMAT, "format_version": FORMAT_VERSION, "fastmlp_version": __version__,
            **header,
            "arrays": {name: {"shape": list(a.shape), "dtype": a.dtype.name}
                       for name, a in arrays.items()}}
    raw = json.dumps(full, allow_nan=False).encode("utf-8")
    if len(raw) > MAX_HEADER_BYTES:
        raise ValueError(f"the header would take {len(raw):,} bytes, more than the "
                         f"{MAX_HEADER_BYTES:,} a file may hold")
    with atomic_write(path, "model file") as f:
        write_members(f, {"header": np.frombuffer(raw, dtype=np.uint8), **arrays})


# --------------------------------------------------------------------------- reading


def read(path):
    """Read a file written by :func:`write`, checking it on the way.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    header : dict
        The whole header, reserved sections included (``header["arrays"]`` lists the arrays).
    arrays : dict of str to numpy.ndarray
        Every array the header lists, with the shape and dtype it states (native byte order).

    Raises
    ------
    FileNotFoundError
        Nothing at ``path``.
    ModelFileError
        Not a regular file, not a fastmlp file, damaged, hostile, or a newer format version.
        The message names ``path``.
    """
    shown = os.fspath(path)
    with open_regular(shown) as f:
        if f.read(4) not in ZIP_MAGIC:
            # np.load would take such a file for a pickle (or a bare .npy array).
            raise unreadable(shown, "it does not start like a zip archive")
        f.seek(0)
        file_size = os.fstat(f.fileno()).st_size
        try:
            with zipfile.ZipFile(f) as archive:
                members = stored_members(archive, shown, file_size, MAX_ARRAYS + 1)
                header = _read_header(archive, members, shown)
                manifest = _manifest(header, shown)
                layouts = _check_arrays(archive, members, manifest, shown)
                arrays = {name: read_array(archive, members[name], *layout)
                          for name, layout in layouts.items()}
        except ModelFileError:
            raise
        except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError,
                NotImplementedError) as err:
            raise unreadable(shown, err) from None
    return header, arrays


def _read_header(archive, members, shown):
    info = members.get("header")
    if info is None:
        raise ModelFileError(f"{shown} is an .npz archive but not a fastmlp model (it has no "
                             f"header); save models with model.save(path)")
    if info.file_size > MAX_HEADER_BYTES + MAX_NPY_HEADER:
        raise ModelFileError(f"{shown} has a damaged header: it takes {info.file_size:,} bytes, "
                             f"more than the {MAX_HEADER_BYTES:,} a model file may use")
    shape, fortran, dtype, offset = preamble(archive, info, "header", shown)
    if dtype != np.uint8 or len(shape) != 1:
        raise ModelFileError(f"{shown} has a damaged header: it should be uint8 bytes, found "
                             f"{dtype} {shape}")
    check_size(info, shape, dtype, offset, "header", shown)
    raw = read_array(archive, info, shape, fortran, dtype, offset).tobytes()
    if _nesting(raw) > MAX_NESTING:
        raise ModelFileError(f"{shown} has a damaged header: its JSON nests deeper than "
                             f"{MAX_NESTING} levels")
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        raise ModelFileError(f"{shown} has a damaged header: {err}") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ModelFileError(f"{shown} is not a fastmlp model file (its header does not say "
                             f"format={FORMAT!r})")
    version = header.get("format_version")
    if type(version) is not int or version not in READABLE_VERSIONS:
        raise ModelFileError(
            f"{shown} uses model format version {version!r:.40}, but this fastmlp "
            f"({__version__}) reads version {_versions()}; upgrade fastmlp to read it, or "
            f"re-save the model with the version that wrote it")
    return header


def _versions():
    return " or ".join(str(v) for v in READABLE_VERSIONS)


def _nesting(raw):
    """How deep JSON lists and objects nest in ``raw`` (brackets inside strings excepted).

    Linear and vectorised, in slices, so a hostile header costs little time and memory; a
    recursive parser would meet 100,000 nested ``[`` with a RecursionError.
    """
    # Dropping escaped backslashes, then escaped quotes, leaves only the quotes that open and
    # close strings (outside strings, JSON has no backslashes).
    codes = np.frombuffer(raw.replace(b"\\\\", b"").replace(b'\\"', b""), dtype=np.uint8)
    deepest = depth = in_string = 0
    for start in range(0, len(codes), _SCAN):
        part = codes[start:start + _SCAN]
        quotes = np.cumsum(part == ord('"'), dtype=np.int32)
        outside = ((quotes + in_string) & 1) == 0
        opens = ((part == ord("[")) | (part == ord("{"))) & outside
        closes = ((part == ord("]")) | (part == ord("}"))) & outside
        levels = np.cumsum(opens.view(np.int8) - closes.view(np.int8), dtype=np.int32)
        deepest = max(deepest, depth + int(levels.max()))
        depth += int(levels[-1])
        in_string = (in_string + int(quotes[-1])) & 1
    return deepest


def _manifest(header, shown):
    """``{name: (shape, dtype)}`` of the arrays the header lists, each entry checked."""
    listed = header.get("arrays")
    if listed is None and isinstance(header.get("params"), list):
        # Files from before the "arrays" list: parameters param_0, param_1, ... in order.
        listed = {f"param_{i}": spec for i, spec in enumerate(header["params"])}
    if not isinstance(listed, dict):
        raise ModelFileError(f"{shown} has a damaged header: it does not list its arrays")
    if len(listed) > MAX_ARRAYS:
        raise ModelFileError(f"{shown} has a damaged header: it lists {len(listed):,} arrays, "
                             f"more than the {MAX_ARRAYS:,} a model file may hold")
    manifest = {}
    for name, spec in listed.items():
        if not _NAME.match(name) or name == "header":
            raise ModelFileError(f"{shown} has a damaged header: it lists an array named "
                                 f"{name!r:.60}")
        shape = spec.get("shape") if isinstance(spec, dict) else None
        dtype = spec.get("dtype") if isinstance(spec, dict) else None
        if (not isinstance(shape, list) or len(shape) > 32
                or any(type(n) is not int or n < 0 for n in shape) or dtype not in DTYPES):
            raise ModelFileError(f"{shown} has a damaged header: array {name!r} is described "
                                 f"as {spec!r:.80}; expected a shape (list of sizes) and a "
                                 f"numeric dtype")
        manifest[name] = (tuple(shape), np.dtype(dtype))
    return manifest


def _check_arrays(archive, members, manifest, shown):
    """Each listed array's (shape, fortran_order, dtype, offset), checked against the header."""
    for name in members:
        if name != "header" and name not in manifest:
            raise ModelFileError(f"{shown} is damaged: it holds an array {name!r} that its "
                                 f"header does not list")
    layouts = {}
    for name, (shape, dtype) in manifest.items():
        info = members.get(name)
        if info is None:
            raise ModelFileError(f"{shown} is damaged: its header lists the array {name!r}, "
                                 f"which the file does not hold")
        found_shape, fortran, found_dtype, offset = preamble(archive, info, name, shown)
        if found_shape != shape or found_dtype.newbyteorder("=") != dtype:
            raise ModelFileError(f"{shown} is damaged: array {name!r} should be {dtype} "
                                 f"{shape}, found {found_dtype.name} {found_shape}")
        check_size(info, shape, dtype, offset, name, shown)
        layouts[name] = (shape, fortran, found_dtype, offset)
    return layouts


