"""IDX files (fastmlp.data.idx): every dtype, compression, damaged and foreign files."""

from __future__ import annotations

import gzip
import tracemalloc

import numpy as np
import pytest
from dataset_files import idx_bytes, leftovers

import fastmlp.data as fd

IDX_DTYPES = [  # (code, dtype)
    (0x08, np.uint8),
    (0x09, np.int8),
    (0x0B, np.int16),
    (0x0C, np.int32),
    (0x0D, np.float32),
    (0x0E, np.float64),
]




@pytest.mark.parametrize("compressed", [False, True], ids=["raw", "gz"])
@pytest.mark.parametrize("code,dtype", IDX_DTYPES, ids=[d.__name__ for _, d in IDX_DTYPES])
def test_idx_round_trip_every_dtype(tmp_path, code, dtype, compressed):
    rng = np.random.default_rng(code)
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        arr = rng.integers(info.min, info.max, (3, 5, 2), dtype=dtype, endpoint=True)
    else:
        arr = rng.standard_normal((3, 5, 2)).astype(dtype) * 1e3
    path = tmp_path / ("a.idx.gz" if compressed else "a.idx")
    fd.write_idx(path, arr)
    data = path.read_bytes()
    assert data.startswith(b"\x1f\x8b") == compressed
    header = gzip.decompress(data)[:4] if compressed else data[:4]
    assert header == bytes([0, 0, code, 3])
    back = fd.read_idx(path)
    assert back.dtype == np.dtype(dtype) and back.dtype.isnative
    assert back.shape == (3, 5, 2)
    np.testing.assert_array_equal(back, arr)


def test_idx_big_endian_on_disk(tmp_path):
    path = tmp_path / "x.idx"
    path.write_bytes(idx_bytes(0x0B, (2,), b"\x01\x02\xff\xfe"))
    np.testing.assert_array_equal(fd.read_idx(path), np.array([0x0102, -2], dtype=np.int16))


def test_idx_compression_detected_by_magic_not_name(tmp_path):
    arr = np.arange(12, dtype=np.uint8).reshape(3, 4)
    gz_named_plain = tmp_path / "plain-but-called.gz"
    gz_named_plain.write_bytes(idx_bytes(0x08, (3, 4), arr.tobytes()))
    plain_named_gz = tmp_path / "compressed-but-called.idx"
    plain_named_gz.write_bytes(gzip.compress(idx_bytes(0x08, (3, 4), arr.tobytes())))
    np.testing.assert_array_equal(fd.read_idx(gz_named_plain), arr)
    np.testing.assert_array_equal(fd.read_idx(plain_named_gz), arr)


def test_idx_zero_length_dimension(tmp_path):
    path = fd.write_idx(tmp_path / "empty.idx", np.zeros((0, 28, 28), np.uint8))
    assert fd.read_idx(path).shape == (0, 28, 28)


def test_idx_truncated_payload(tmp_path):
    path = tmp_path / "t.idx"
    path.write_bytes(idx_bytes(0x08, (10, 28, 28))[:-100])
    with pytest.raises(fd.IDXFormatError,
                       match=r"truncated: .*shape \(10, 28, 28\) of ubyte, i\.e\. 7840 data "
                             r"bytes, but only 7740 are present.*download or copy it again"):
        fd.read_idx(path)


def test_idx_truncated_payload_inside_a_complete_gzip(tmp_path):
    path = tmp_path / "t.idx.gz"
    path.write_bytes(gzip.compress(idx_bytes(0x0C, (5,))[:-3]))
    with pytest.raises(fd.IDXFormatError, match=r"truncated: .* 20 data bytes, but only 17"):
        fd.read_idx(path)


def test_idx_truncated_gzip_stream(tmp_path):
    payload = np.random.default_rng(0).bytes(5000)  # incompressible, so the cut hits data
    path = tmp_path / "cut.gz"
    path.write_bytes(gzip.compress(idx_bytes(0x08, (5000,), payload))[:-100])
    with pytest.raises(fd.IDXFormatError, match=r"truncated or corrupt gzip file"):
        fd.read_idx(path)


def test_idx_truncated_header(tmp_path):
    path = tmp_path / "h.idx"
    path.write_bytes(bytes([0, 0, 0x08, 3]) + (60000).to_bytes(4, "big"))
    with pytest.raises(fd.IDXFormatError,
                       match=r"truncated inside its header: 3 dimensions need 12 bytes"):
        fd.read_idx(path)


@pytest.mark.parametrize("content,match", [
    (b"", r"is empty"),
    (b"\x00\x00", r"is truncated: 2 bytes, but an IDX header alone needs 4"),
])
def test_idx_too_short(tmp_path, content, match):
    path = tmp_path / "s.idx"
    path.write_bytes(content)
    with pytest.raises(fd.IDXFormatError, match=match):
        fd.read_idx(path)


def test_idx_extra_bytes(tmp_path):
    path = tmp_path / "x.idx"
    path.write_bytes(idx_bytes(0x08, (4,)) + b"\x00" * 7)
    with pytest.raises(fd.IDXFormatError,
                       match=r"has 7 bytes after the 4 data bytes its header declares"):
        fd.read_idx(path)


def test_idx_wrong_magic(tmp_path):
    path = tmp_path / "m.idx"
    path.write_bytes(b"\x01\x02\x08\x01" + bytes(8) + b"\xff")
    with pytest.raises(fd.IDXFormatError,
                       match=r"not an IDX file: it starts with bytes 01 02 08 01, but an IDX "
                             r"file starts with 00 00 <dtype code> <number of dimensions>"):
        fd.read_idx(path)


@pytest.mark.parametrize("content,what", [
    (b"\x89PNG\r\n\x1a\n" + bytes(20), "a PNG image"),
    (b"PK\x03\x04" + bytes(20), "a zip archive"),
    (b"<!DOCTYPE html><html><body>404</body></html>", "an HTML/XML page"),
    (b"label,pixel0,pixel1\n5,0,0\n", "a text file"),
])
def test_idx_foreign_file_is_named(tmp_path, content, what):
    path = tmp_path / "foreign.gz"
    path.write_bytes(content)
    with pytest.raises(fd.IDXFormatError, match=rf"not an IDX file.*looks like {what}"):
        fd.read_idx(path)


def test_idx_unknown_dtype_code(tmp_path):
    path = tmp_path / "c.idx"
    path.write_bytes(idx_bytes(0x0A, (2,)))
    with pytest.raises(fd.IDXFormatError,
                       match=r"unknown IDX dtype code 0x0A; valid codes are 0x08 \(ubyte\), "
                             r"0x09 \(byte\), 0x0B \(short\), 0x0C \(int\), 0x0D \(float\), "
                             r"0x0E \(double\)"):
        fd.read_idx(path)


def test_idx_zero_dimensions(tmp_path):
    path = tmp_path / "z.idx"
    path.write_bytes(bytes([0, 0, 0x08, 0, 7]))
    with pytest.raises(fd.IDXFormatError, match=r"declares 0 dimensions"):
        fd.read_idx(path)


def test_idx_unexpected_dimension_count(tmp_path):
    path = fd.write_idx(tmp_path / "labels.idx", np.zeros(5, np.uint8))
    with pytest.raises(fd.IDXFormatError,
                       match=r"holds a 1-D array, but an image file \(3-D\) was expected; "
                             r"were the image and label files swapped\?"):
        fd.read_idx(path, ndim=3)
    assert fd.read_idx(path, ndim=1).shape == (5,)


@pytest.mark.parametrize("arr,err,match", [
    (np.zeros(3, np.int64), TypeError, r"cannot store dtype int64.*astype\(np\.int32\)"),
    (np.zeros(3, bool), TypeError, r"cannot store dtype bool"),
    (np.float32(1.0), ValueError, r"1 to 255 dimensions, got 0-D"),
])
def test_write_idx_rejects(tmp_path, arr, err, match):
    with pytest.raises(err, match=match):
        fd.write_idx(tmp_path / "w.idx", arr)
    assert leftovers(tmp_path) == []


def test_write_idx_accepts_big_endian_input(tmp_path):
    arr = np.array([1, -300, 70000], dtype=">i4")
    np.testing.assert_array_equal(fd.read_idx(fd.write_idx(tmp_path / "b.idx", arr)), arr)


@pytest.mark.parametrize("n_dims", [33, 64, 100, 255])
def test_idx_absurd_dimension_count(tmp_path, n_dims):
    """Up to 255 dimensions fit the header byte; NumPy's limit made 65+ escape as ValueError."""
    path = tmp_path / "dims.idx"
    path.write_bytes(bytes([0, 0, 0x08, n_dims]) + b"\x00\x00\x00\x01" * n_dims + b"\x07")
    with pytest.raises(fd.IDXFormatError, match=rf"declares {n_dims} dimensions; fastmlp "
                                                r"reads IDX files of 1 to 32"):
        fd.read_idx(path)


def test_idx_thirty_two_dimensions_still_read(tmp_path):
    shape = (2,) + (1,) * 31
    fd.write_idx(tmp_path / "deep.idx", np.arange(2, dtype=np.uint8).reshape(shape))
    assert fd.read_idx(tmp_path / "deep.idx").shape == shape


@pytest.mark.parametrize("compressed", [False, True], ids=["raw", "gz"])
def test_idx_header_claiming_terabytes_is_refused_before_allocating(tmp_path, compressed):
    """A 20-byte header declaring 60000 x 4000000 x 4000 doubles; nothing is allocated."""
    raw = bytes([0, 0, 0x0E, 3]) + b"".join(d.to_bytes(4, "big")
                                            for d in (60000, 4_000_000, 4000)) + bytes(64)
    path = tmp_path / ("huge.idx.gz" if compressed else "huge.idx")
    path.write_bytes(gzip.compress(raw) if compressed else raw)
    match = (r"declares shape \(60000, 4000000, 4000\) of double \(7,680,000,000,000,000 "
             r"bytes\), more than a gzip file of \d+ bytes can hold" if compressed else
             r"truncated: its header declares shape \(60000, 4000000, 4000\) of double, i\.e\. "
             r"7680000000000000 data bytes, but only 64 are present")
    tracemalloc.start()
    try:
        with pytest.raises(fd.IDXFormatError, match=match):
            fd.read_idx(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2**20


def test_idx_gzip_declaring_a_plausible_size_reads_in_full(tmp_path):
    """Highly compressible data (1000:1) is within what a gzip file may declare."""
    zeros = np.zeros((300, 100, 100), np.uint8)
    path = fd.write_idx(tmp_path / "zeros.idx.gz", zeros)
    assert path.stat().st_size * 500 < zeros.nbytes
    assert np.array_equal(fd.read_idx(path), zeros)


def test_write_idx_errors_name_the_path_and_files_get_the_usual_permissions(tmp_path):
    target = tmp_path / "missing" / "labels.idx"
    with pytest.raises(FileNotFoundError) as info:
        fd.write_idx(target, np.zeros(3, np.uint8))
    assert info.value.filename == str(target)
    (tmp_path / "plain.txt").write_text("x")  # an ordinary new file, under the umask
    written = fd.write_idx(tmp_path / "labels.idx", np.zeros(3, np.uint8))
    assert written.stat().st_mode == (tmp_path / "plain.txt").stat().st_mode
    assert sorted(p.name for p in tmp_path.iterdir()) == ["labels.idx", "plain.txt"]
