"""Numeric arrays as ``.npy`` members of a zip archive: written stored, read with bounds.

The container layer of :mod:`fastmlp.serialization`. Members are stored, never compressed, so
an archive cannot claim more data than it holds; each member's ``.npy`` preamble is read
(without its payload) so that shapes and dtypes can be checked before anything is allocated,
and payloads are read in chunks straight into their final buffer. Every error is a
:class:`ModelFileError` naming the user's path (``shown``).
"""

from __future__ import annotations

import math
import os
import stat
import zipfile

import numpy as np

#: The first bytes of a zip archive (an .npz file), and of an empty one.
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
#: Longest .npy preamble read (numpy's own default limit).
MAX_NPY_HEADER = 10_000
#: Bytes read at a time from a member.
CHUNK = 2**20


class ModelFileError(ValueError):
    """A file that is not a readable fastmlp model (damaged, foreign, hostile or too new)."""


def unreadable(shown, why):
    """The error for a file that is no readable archive (``why`` says what is wrong)."""
    return ModelFileError(f"{shown} is not a readable fastmlp model file (expected an .npz "
                          f"archive written by model.save): {why}")


def open_regular(shown):
    """Open ``shown`` for reading if it is a regular file (a FIFO blocks, a device never ends)."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(shown, flags)
    except (FileNotFoundError, PermissionError):
        raise
    except IsADirectoryError:
        raise ModelFileError(f"{shown} is not a readable fastmlp model file: it is a "
                             f"directory") from None
    except OSError as err:
        raise unreadable(shown, err.strerror or err) from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        kind = "a directory" if stat.S_ISDIR(mode) else "not a regular file"
        raise ModelFileError(f"{shown} is not a readable fastmlp model file: it is {kind}")
    if hasattr(os, "set_blocking"):
        os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def stored_members(archive, shown, file_size, max_members):
    """The archive's members by array name, after checks that need no reading."""
    infos = archive.infolist()
    if len(infos) > max_members:
        raise ModelFileError(f"{shown} is damaged: it holds {len(infos):,} entries, more than "
                             f"the {max_members - 1:,} arrays a model file may hold")
    members = {}
    for info in infos:
        if not info.filename.endswith(".npy"):
            raise ModelFileError(f"{shown} is damaged: its entry {info.filename!r} is not a "
                                 f"NumPy array; save models with model.save(path)")
        name = info.filename[:-4]
        if name in members:
            raise ModelFileError(f"{shown} is damaged: it holds the entry {info.filename!r} "
                                 f"twice")
        if info.flag_bits & 0x1:
            raise ModelFileError(f"{shown} is damaged: its entry {info.filename!r} is "
                                 f"encrypted")
        if info.compress_type != zipfile.ZIP_STORED:
            raise ModelFileError(
                f"{shown} is not a fastmlp model file as model.save writes it: its entry "
                f"{info.filename!r} is compressed (fastmlp stores arrays uncompressed, so a "
                f"file cannot claim more data than it holds); load it where it was made and "
                f"save it again with model.save(path)")
        if info.compress_size != info.file_size or info.header_offset + info.file_size > file_size:
            raise ModelFileError(f"{shown} is damaged: its entry {info.filename!r} claims "
                                 f"{info.file_size:,} bytes that the file does not hold")
        members[name] = info
    return members


def preamble(archive, info, name, shown):
    """Shape, Fortran order, dtype and data offset from the member's .npy preamble."""
    with archive.open(info) as stream:
        try:
            version = np.lib.format.read_magic(stream)
            if version == (1, 0):
                layout = np.lib.format.read_array_header_1_0(stream, MAX_NPY_HEADER)
            elif version == (2, 0):
                layout = np.lib.format.read_array_header_2_0(stream, MAX_NPY_HEADER)
            else:
                raise ValueError(f".npy version {version} is not one model.save writes")
        except (ValueError, SyntaxError, TypeError, EOFError) as err:
            raise ModelFileError(f"{shown} is damaged: its entry {name!r} is not a NumPy "
                                 f"array ({' '.join(str(err).split())[:200]})") from None
        offset = stream.tell()
    shape, fortran, dtype = layout
    if dtype.hasobject:
        raise ModelFileError(f"{shown} is damaged: its entry {name!r} holds Python objects "
                             f"(a pickle), which fastmlp never loads (allow_pickle=False)")
    return tuple(shape), bool(fortran), dtype, offset


def check_size(info, shape, dtype, offset, name, shown):
    expected = offset + math.prod(shape) * dtype.itemsize
    if info.file_size != expected:
        raise ModelFileError(f"{shown} is damaged: array {name!r} should take {expected:,} "
                             f"bytes, its entry holds {info.file_size:,}")


def read_array(archive, info, shape, fortran, dtype, offset):
    """Read the array in chunks into its final buffer (no second copy of the data)."""
    data = np.empty(math.prod(shape) * dtype.itemsize, dtype=np.uint8)
    view = memoryview(data)
    with archive.open(info) as stream:
        stream.read(offset)
        done = 0
        while done < len(data):  # a short read means a truncated archive; the CRC is checked
            n = stream.readinto(view[done:done + CHUNK])
            if not n:
                raise EOFError(f"entry {info.filename!r} ends early")
            done += n
        stream.read(1)  # reach the end, where zipfile checks the CRC even of an empty array
    array = data.view(dtype).reshape(shape, order="F" if fortran else "C")
    return array if dtype.isnative else array.astype(dtype.newbyteorder("="))


def write_members(f, arrays):
    """Write ``{name: array}`` to the open binary file ``f`` as stored ``<name>.npy`` members."""
    with zipfile.ZipFile(f, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, array in arrays.items():
            with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asarray(array), allow_pickle=False)
