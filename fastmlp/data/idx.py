"""Read and write IDX files, the format of MNIST and Fashion-MNIST.

An IDX file is a 4-byte magic number ``00 00 <dtype code> <number of dimensions>``, one
big-endian uint32 per dimension, then the values in C order, big-endian. Files are often
gzip-compressed; the reader detects that from the gzip magic bytes, never from the name.
"""

from __future__ import annotations

import gzip
import math
import os
import struct
import zlib
from pathlib import Path

import numpy as np

from .._atomic import atomic_write

# dtype code -> (on-disk dtype, name used in messages)
DTYPE_CODES = {
    0x08: (np.dtype("u1"), "ubyte"),
    0x09: (np.dtype("i1"), "byte"),
    0x0B: (np.dtype(">i2"), "short"),
    0x0C: (np.dtype(">i4"), "int"),
    0x0D: (np.dtype(">f4"), "float"),
    0x0E: (np.dtype(">f8"), "double"),
}
_VALID_CODES = ", ".join(f"0x{c:02X} ({name})" for c, (_, name) in DTYPE_CODES.items())

_GZIP_MAGIC = b"\x1f\x8b"

# Magic bytes of files people mistake for IDX, so the error can say what the file really is.
_FOREIGN = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"PK\x03\x04", "a zip archive (extract it first)"),
    (b"\x93NUMPY", "a NumPy .npy file (use numpy.load)"),
    (b"BZh", "a bzip2 archive (decompress it first)"),
    (b"\xfd7zXZ", "an xz archive (decompress it first)"),
)

_REFETCH = "delete it and download or copy it again"
#: Most dimensions read (NumPy's limit is 64; real IDX data sets have 1 to 4).
MAX_DIMS = 32
#: Deflate cannot expand data more than this (its best case is about 1032:1), so a gzip file
#: of n bytes holds at most this many times n: a bound for what a header may declare.
_GZIP_MAX_RATIO = 1100


class IDXFormatError(ValueError):
    """A file is not a valid IDX file (wrong magic, dtype, dimensions, or length)."""


def _describe_foreign(head):
    for magic, what in _FOREIGN:
        if head.startswith(magic):
            return what
    text = head.lstrip().lower()
    if text.startswith((b"<!doctype", b"<html", b"<?xml")):
        # The usual result of saving a web server's error page under the data file's name.
        return "an HTML/XML page (probably an error page saved instead of the data)"
    if head and all(32 <= b < 127 or b in b"\t\r\n" for b in head):
        return "a text file (for CSV data use fastmlp.data.read_mnist_csv)"
    return None


def _read_fully(stream, view):
    """Fill ``view`` from ``stream``; return how many bytes arrived (short only at EOF)."""
    got = 0
    while got < len(view):
        n = stream.readinto(view[got:])
        if not n:
            break
        got += n
    return got


def _read_stream(stream, where, ndim, size=None, compressed=False):
    """The array in ``stream``, from a file of ``size`` bytes on disk (if known).

    The size is checked against what the header declares before anything is allocated: for
    a plain file it must match exactly, and a gzip file cannot hold more than
    ``_GZIP_MAX_RATIO`` times its size.
    """
    head = stream.read(4)
    if len(head) < 4:
        if not head:
            raise IDXFormatError(f"{where} is empty; an IDX file starts with a 4-byte header")
        raise IDXFormatError(
            f"{where} is truncated: {len(head)} bytes, but an IDX header alone needs 4; "
            + _REFETCH
        )
    if head[:2] != b"\x00\x00":
        what = _describe_foreign(head + stream.read(60))
        found = f"; it looks like {what}" if what else ""
        raise IDXFormatError(
            f"{where} is not an IDX file: it starts with bytes {head.hex(' ')}, but an IDX "
            f"file starts with 00 00 <dtype code> <number of dimensions>{found}. "
            "Check that the path points at the MNIST-format image or label file"
        )
    code, n_dims = head[2], head[3]
    if code not in DTYPE_CODES:
        raise IDXFormatError(
            f"{where} has unknown IDX dtype code 0x{code:02X}; valid codes are {_VALID_CODES}. "
            "The file is corrupt or not an IDX file"
        )
    disk_dtype, type_name = DTYPE_CODES[code]
    if n_dims == 0:
        raise IDXFormatError(
            f"{where} declares 0 dimensions; an IDX file has at least one (labels have 1, "
            "images 3). The header is corrupt"
        )
    if n_dims > MAX_DIMS:
        raise IDXFormatError(
            f"{where} declares {n_dims} dimensions; fastmlp reads IDX files of 1 to "
            f"{MAX_DIMS} (labels have 1, images 3). The header is corrupt"
        )
    if ndim is not None and n_dims != ndim:
        hint = {1: "a label file", 3: "an image file"}.get(ndim, f"a {ndim}-D file")
        raise IDXFormatError(
            f"{where} holds a {n_dims}-D array, but {hint} ({ndim}-D) was expected; "
            "were the image and label files swapped?"
        )
    dims_raw = stream.read(4 * n_dims)
    if len(dims_raw) < 4 * n_dims:
        raise IDXFormatError(
            f"{where} is truncated inside its header: {n_dims} dimensions need "
            f"{4 * n_dims} bytes of sizes, only {len(dims_raw)} are present; " + _REFETCH
        )
    shape = struct.unpack(f">{n_dims}I", dims_raw)
    count = math.prod(shape)
    nbytes = count * disk_dtype.itemsize
    if size is not None and not compressed:
        present = size - 4 - 4 * n_dims
        if nbytes > present:
            raise IDXFormatError(
                f"{where} is truncated: its header declares shape {shape} of {type_name}, "
                f"i.e. {nbytes} data bytes, but only {present} are present (the file was cut "
                "short while downloading or copying); " + _REFETCH
            )
        if nbytes < present:
            raise IDXFormatError(
                f"{where} has {present - nbytes} bytes after the {nbytes} data bytes its "
                f"header declares (shape {shape} of {type_name}); the header does not match "
                "the data, so the file is corrupt or not an IDX file"
            )
    if size is not None and compressed and nbytes > _GZIP_MAX_RATIO * size:
        raise IDXFormatError(
            f"{where} declares shape {shape} of {type_name} ({nbytes:,} bytes), more than a "
            f"gzip file of {size:,} bytes can hold; the header is corrupt; " + _REFETCH
        )
    try:
        flat = np.empty(count, dtype=disk_dtype)
    except (MemoryError, ValueError):
        raise IDXFormatError(
            f"{where} declares shape {shape} of {type_name} ({nbytes:,} bytes), more than "
            "can be allocated; the header is corrupt"
        ) from None
    got = _read_fully(stream, memoryview(flat.view(np.uint8)))
    if got < nbytes:
        raise IDXFormatError(
            f"{where} is truncated: its header declares shape {shape} of {type_name}, "
            f"i.e. {nbytes} data bytes, but only {got} are present (the file was cut short "
            "while downloading or copying); " + _REFETCH
        )
    extra = 0
    while chunk := stream.read(1 << 20):
        extra += len(chunk)
    if extra:
        raise IDXFormatError(
            f"{where} has {extra} bytes after the {nbytes} data bytes its header declares "
            f"(shape {shape} of {type_name}); the header does not match the data, so the "
            "file is corrupt or not an IDX file"
        )
    return flat.astype(disk_dtype.newbyteorder("="), copy=False).reshape(shape)


def read_idx(path, *, ndim=None):
    """Read an IDX file, gzip-compressed or not.

    Parameters
    ----------
    path : str or os.PathLike
        The file. Compression is detected from the gzip magic bytes, so the name does not
        matter.
    ndim : int, optional
        The number of dimensions expected (1 for labels, 3 for images); a file with another
        number raises, which catches swapped image and label files.

    Returns
    -------
    numpy.ndarray
        Shape given by the header, e.g. ``(n, 28, 28)`` uint8 for images and ``(n,)`` uint8
        for labels; multi-byte types are converted to native byte order.

    Raises
    ------
    IDXFormatError
        A foreign file, a wrong magic number, an unknown dtype code, a wrong number of
        dimensions, a payload shorter or longer than the header declares, or a corrupt or
        truncated gzip stream. The message names the file, what was wrong and what to do.
    FileNotFoundError
        ``path`` does not exist.
    """
    path = Path(path)
    with open(path, "rb") as raw:
        compressed = raw.read(2) == _GZIP_MAGIC
        raw.seek(0)
        size = os.fstat(raw.fileno()).st_size
        if not compressed:
            return _read_stream(raw, str(path), ndim, size)
        try:
            with gzip.GzipFile(fileobj=raw, mode="rb") as stream:
                return _read_stream(stream, f"{path} (gzip)", ndim, size, compressed=True)
        except (EOFError, gzip.BadGzipFile, zlib.error) as err:
            raise IDXFormatError(
                f"{path} is a truncated or corrupt gzip file ({err}); it was probably cut "
                "short while downloading or copying; " + _REFETCH
            ) from None


_WRITE_CODES = {np.dtype(dt).newbyteorder("="): code for code, (dt, _) in DTYPE_CODES.items()}


def write_idx(path, array):
    """Write ``array`` as an IDX file, gzip-compressed when ``path`` ends in ``.gz``.

    The file is written atomically (see :mod:`fastmlp._atomic`): readers never see half a
    file, a symbolic link is followed, only a regular file is replaced, and errors name
    ``path``.

    Parameters
    ----------
    path : str or os.PathLike
        Destination.
    array : array_like
        At least 1-D, of dtype uint8, int8, int16, int32, float32 or float64 (the six IDX
        types), each dimension below 2**32.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    path = Path(path)
    arr = np.asarray(array)
    code = _WRITE_CODES.get(arr.dtype.newbyteorder("="))
    if code is None or arr.dtype.kind not in "uif":
        raise TypeError(
            f"IDX cannot store dtype {arr.dtype}; it supports uint8, int8, int16, int32, "
            "float32 and float64. Convert first, e.g. array.astype(np.int32) if the values fit"
        )
    if not 1 <= arr.ndim <= 255:
        raise ValueError(f"IDX stores arrays of 1 to 255 dimensions, got {arr.ndim}-D")
    if max(arr.shape) >= 2**32:
        raise ValueError(f"IDX dimensions must be below 2**32, got shape {arr.shape}")
    header = bytes((0, 0, code, arr.ndim)) + struct.pack(f">{arr.ndim}I", *arr.shape)
    payload = np.ascontiguousarray(arr, dtype=DTYPE_CODES[code][0]).tobytes()
    with atomic_write(path, "IDX file") as out:
        if path.name.endswith(".gz"):
            # mtime=0 keeps the bytes identical for identical arrays.
            with gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as gz:
                gz.write(header + payload)
        else:
            out.write(header + payload)
    return path
