"""The archive layer (fastmlp._npz): stored members, preambles read alone, chunked payloads.

End-to-end checks of damaged and hostile files, through serialization.read, are in
tests/test_serialization.py; these exercise the layer's functions one by one.
"""

import io
import os
import zipfile

import numpy as np
import pytest

from fastmlp import _npz
from fastmlp._npz import ModelFileError


def archive_of(arrays):
    buffer = io.BytesIO()
    _npz.write_members(buffer, arrays)
    buffer.seek(0)
    return buffer


def read_back(buffer, name):
    size = len(buffer.getvalue())
    with zipfile.ZipFile(buffer) as archive:
        members = _npz.stored_members(archive, "mem.npz", size, max_members=10)
        layout = _npz.preamble(archive, members[name], name, "mem.npz")
        _npz.check_size(members[name], layout[0], layout[2], layout[3], name, "mem.npz")
        return layout, _npz.read_array(archive, members[name], *layout)


def test_members_are_stored_uncompressed_as_npy():
    buffer = archive_of({"w": np.ones((3, 2)), "b": np.zeros(2, np.float32)})
    with zipfile.ZipFile(buffer) as archive:
        infos = archive.infolist()
    assert [i.filename for i in infos] == ["w.npy", "b.npy"]
    assert all(i.compress_type == zipfile.ZIP_STORED and i.compress_size == i.file_size
               for i in infos)


def test_an_array_larger_than_a_chunk_is_read_whole(monkeypatch):
    monkeypatch.setattr(_npz, "CHUNK", 1000)  # 24,000 bytes: 24 chunks
    values = np.arange(3000, dtype=np.float64).reshape(60, 50)
    (shape, fortran, dtype, offset), back = read_back(archive_of({"w": values}), "w")
    assert shape == (60, 50) and not fortran and dtype == np.float64 and offset % 64 == 0
    assert np.array_equal(back, values) and back.flags.writeable


@pytest.mark.parametrize("values", [
    np.asfortranarray(np.arange(12.0).reshape(3, 4)),
    np.arange(6, dtype=">i4").reshape(2, 3),
    np.zeros((0, 4), np.float32),
    np.array(2.5),
])
def test_layouts_round_trip(values):
    (_, fortran, _, _), back = read_back(archive_of({"x": values}), "x")
    assert fortran == (values.flags.f_contiguous and not values.flags.c_contiguous)
    assert back.shape == values.shape and back.dtype.isnative
    assert np.array_equal(back, values)


def test_too_many_members():
    buffer = archive_of({f"a{i}": np.zeros(1) for i in range(4)})
    with zipfile.ZipFile(buffer) as archive, pytest.raises(
            ModelFileError, match=r"mem\.npz is damaged: it holds 4 entries, more than the 2 "
                                  r"arrays a model file may hold"):
        _npz.stored_members(archive, "mem.npz", len(buffer.getvalue()), max_members=3)


def test_preamble_that_is_not_npy():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("x.npy", b"\x93NUMPY\x09\x00garbage")
    with zipfile.ZipFile(buffer) as archive:
        info = archive.getinfo("x.npy")
        with pytest.raises(ModelFileError, match=r"its entry 'x' is not a NumPy array \(\.npy "
                                                 r"version \(9, 0\) is not one model\.save "
                                                 r"writes\)"):
            _npz.preamble(archive, info, "x", "mem.npz")


def test_size_that_disagrees_with_the_preamble():
    buffer = archive_of({"x": np.zeros(10)})
    with zipfile.ZipFile(buffer) as archive:
        info = archive.getinfo("x.npy")
        shape, _, dtype, offset = _npz.preamble(archive, info, "x", "mem.npz")
        with pytest.raises(ModelFileError, match=r"array 'x' should take [\d,]+ bytes, its "
                                                 r"entry holds [\d,]+"):
            _npz.check_size(info, (11,), dtype, offset, "x", "mem.npz")


def test_regular_files_only(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(ModelFileError, match=r"pipe is not a readable fastmlp model file: it is "
                                             r"not a regular file"):
        _npz.open_regular(str(tmp_path / "pipe"))
    (tmp_path / "file").write_bytes(b"PK")
    with _npz.open_regular(str(tmp_path / "file")) as f:
        assert f.read() == b"PK"
