"""The file format: header + named arrays, no pickle, every damaged or hostile file refused cheaply.

Hostile files come from the reliability review (issue 9, item 8): a header claiming enormous
arrays, a header nested 100,000 deep, a zip bomb. Each must raise ModelFileError without
reading or allocating what it claims; ``tracemalloc`` (which sees NumPy's allocations) bounds
the memory each rejection may take.
"""

import io
import json
import os
import tracemalloc
import zipfile

import numpy as np
import pytest

from fastmlp import serialization
from fastmlp.serialization import ModelFileError, read, write


def raw_header(obj):
    return np.frombuffer(json.dumps(obj).encode("utf-8"), dtype=np.uint8)


def write_raw(path, arrays, compression=zipfile.ZIP_STORED):
    """An archive of ``.npy`` members exactly as given (no checks): the way to forge files."""
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, value in arrays.items():
            if isinstance(value, bytes):
                archive.writestr(f"{name}.npy", value)
            else:
                with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                    np.lib.format.write_array(member, value, allow_pickle=True)
    return path


def npy_preamble(shape, dtype="<f4"):
    """The bytes of a .npy header that claims ``shape`` (no data follows)."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buffer, {"descr": dtype, "fortran_order": False, "shape": tuple(shape)})
    return buffer.getvalue()


def header_for(arrays, **sections):
    return {"format": "fastmlp-model", "format_version": 1, "fastmlp_version": "0.1.0",
            **sections,
            "arrays": {k: {"shape": list(v.shape), "dtype": v.dtype.name}
                       for k, v in arrays.items()}}


def peak_bytes(fn):
    """Run ``fn`` and return the peak memory it allocated (Python and NumPy)."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def rejected(path, match):
    """Assert that reading ``path`` raises ModelFileError matching ``match``; its peak memory."""
    def attempt():
        with pytest.raises(ModelFileError, match=match):
            read(path)
    return peak_bytes(attempt)


ARRAYS = {"param_0": np.arange(12, dtype=np.float32).reshape(3, 4),
          "param_1": np.array([0.5, -1.0, 2.0, np.pi], dtype=np.float64),
          "step": np.array(7, dtype=np.int64),
          "empty": np.zeros((0, 5), dtype=np.float32),
          "mask": np.array([True, False])}


@pytest.fixture
def good(tmp_path):
    path = tmp_path / "good.npz"
    write(path, {"config": {"layers": [], "note": "x"}}, ARRAYS)
    return path


# --------------------------------------------------------------------------- round trip


def test_round_trip_keeps_sections_names_shapes_dtypes_and_values(good):
    header, arrays = read(good)
    assert header["format"] == "fastmlp-model" and header["format_version"] == 2
    assert header["fastmlp_version"] == serialization.__version__
    assert header["config"] == {"layers": [], "note": "x"}
    assert list(arrays) == list(ARRAYS)
    for name, original in ARRAYS.items():
        assert arrays[name].dtype == original.dtype and arrays[name].shape == original.shape
        assert np.array_equal(arrays[name], original)
        assert arrays[name].flags.writeable
    assert header["arrays"]["param_0"] == {"shape": [3, 4], "dtype": "float32"}


def test_non_contiguous_and_fortran_arrays_round_trip(tmp_path):
    base = np.arange(30, dtype=np.float64).reshape(5, 6)
    arrays = {"strided": base[::2, 1::2], "fortran": np.asfortranarray(base)}
    write(tmp_path / "m.npz", {}, arrays)
    _, back = read(tmp_path / "m.npz")
    for name in arrays:
        assert np.array_equal(back[name], arrays[name])


def test_foreign_byte_order_is_read_as_native(tmp_path):
    big = np.arange(6, dtype=">f8").reshape(2, 3)
    write_raw(tmp_path / "be.npz", {"header": raw_header(header_for({"w": big})), "w": big})
    _, arrays = read(tmp_path / "be.npz")
    assert arrays["w"].dtype == np.float64 and arrays["w"].dtype.isnative
    assert np.array_equal(arrays["w"], big)


def test_file_is_plain_stored_npy_members_without_pickle(good):
    with zipfile.ZipFile(good) as archive:
        infos = archive.infolist()
    assert sorted(i.filename for i in infos) == sorted(
        ["header.npy"] + [f"{name}.npy" for name in ARRAYS])
    assert all(i.compress_type == zipfile.ZIP_STORED for i in infos)
    with np.load(good, allow_pickle=False) as archive:  # raises on any pickle
        assert archive["header"].dtype == np.uint8


def test_files_before_the_arrays_list_still_read(tmp_path):
    """Early version-1 files list their parameters under "params" only."""
    params = [ARRAYS["param_0"], ARRAYS["param_1"]]
    header = {"format": "fastmlp-model", "format_version": 1, "fastmlp_version": "0.1.0",
              "config": {}, "params": [{"shape": list(p.shape), "dtype": p.dtype.name}
                                       for p in params]}
    write_raw(tmp_path / "old.npz", {"header": raw_header(header), "param_0": params[0],
                                     "param_1": params[1]})
    _, arrays = read(tmp_path / "old.npz")
    assert list(arrays) == ["param_0", "param_1"]
    assert np.array_equal(arrays["param_1"], params[1])


@pytest.mark.parametrize("header, arrays, error, match", [
    ({"format": 1}, {}, ValueError, r"sections \['format'\] are written by the file format"),
    ({"arrays": 1}, {}, ValueError, r"sections \['arrays'\]"),
    ([1], {}, TypeError, r"header must be a dict"),
    ({"x": float("nan")}, {}, ValueError, r"Out of range float"),
    ({}, {"header": np.zeros(2)}, ValueError, r"array name 'header' is not allowed"),
    ({}, {"a/b": np.zeros(2)}, ValueError, r"array name 'a/b' is not allowed"),
    ({}, {"w": np.array(["text"])}, TypeError, r"array 'w' must be a numeric NumPy array"),
    ({}, {"w": [1.0, 2.0]}, TypeError, r"array 'w' must be a numeric NumPy array"),
])
def test_write_refuses_what_the_format_cannot_hold(tmp_path, header, arrays, error, match):
    with pytest.raises(error, match=match):
        write(tmp_path / "m.npz", header, arrays)
    assert os.listdir(tmp_path) == []


# --------------------------------------------------------------------------- not a model file


def test_random_bytes(tmp_path):
    path = tmp_path / "random.npz"
    path.write_bytes(np.random.default_rng(0).bytes(4096))
    with pytest.raises(ModelFileError, match=r"random\.npz is not a readable fastmlp model file "
                                             r"\(expected an \.npz archive written by "
                                             r"model\.save\)"):
        read(path)


def test_text_file_is_not_taken_for_a_pickle(tmp_path):
    path = tmp_path / "notes.npz"
    path.write_text("these are not weights\n")
    with pytest.raises(ModelFileError, match=r"not a readable fastmlp model file") as info:
        read(path)
    assert "pickle" not in str(info.value)


def test_bare_npy_file(tmp_path):
    path = tmp_path / "weights.npy"
    np.save(path, np.ones((3, 3)))
    with pytest.raises(ModelFileError, match=r"weights\.npy is not a readable fastmlp model"):
        read(path)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.npz"
    path.write_bytes(b"")
    with pytest.raises(ModelFileError, match=r"empty\.npz is not a readable fastmlp model"):
        read(path)


def test_non_existent_path(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nowhere\.npz"):
        read(tmp_path / "nowhere.npz")


def test_directory_instead_of_a_file(tmp_path):
    with pytest.raises(ModelFileError, match=r"is not a readable fastmlp model file: it is a "
                                             r"directory"):
        read(tmp_path)


def test_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.npz"
    os.mkfifo(fifo)  # opening it for reading would wait for a writer forever
    with pytest.raises(ModelFileError, match=r"pipe\.npz is not a readable fastmlp model file: "
                                             r"it is not a regular file"):
        read(fifo)


# --------------------------------------------------------------------------- damaged files


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9, 0.99])
def test_truncated_file(good, tmp_path, keep):
    raw = good.read_bytes()
    cut = tmp_path / "cut.npz"
    cut.write_bytes(raw[:int(len(raw) * keep)])
    with pytest.raises(ModelFileError, match=r"cut\.npz is not a readable fastmlp model file"):
        read(cut)


def test_flipped_byte_in_an_array_fails_the_crc(good, tmp_path):
    raw = bytearray(good.read_bytes())
    preamble = raw.index(b"\x93NUMPY", raw.index(b"param_1.npy"))
    raw[preamble + 128 + 5] ^= 0xFF  # inside param_1's numbers, after its 128-byte preamble
    bad = tmp_path / "flipped.npz"
    bad.write_bytes(bytes(raw))
    with pytest.raises(ModelFileError, match=r"flipped\.npz is not a readable fastmlp model "
                                             r"file .*CRC"):
        read(bad)


def test_archive_without_header(tmp_path):
    path = write_raw(tmp_path / "plain.npz", {"param_0": np.zeros(3)})
    with pytest.raises(ModelFileError, match=r"plain\.npz is an \.npz archive but not a fastmlp "
                                             r"model \(it has no header\)"):
        read(path)


def test_member_that_is_not_an_array(tmp_path):
    path = write_raw(tmp_path / "odd.npz", {"header": b"not an npy payload"})
    with pytest.raises(ModelFileError, match=r"odd\.npz is damaged: its entry 'header' is not a "
                                             r"NumPy array"):
        read(path)


def test_member_that_is_not_npy_at_all(tmp_path):
    path = tmp_path / "odd.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(ModelFileError, match=r"its entry 'readme\.txt' is not a NumPy array"):
        read(path)


def test_member_twice(tmp_path):
    path = tmp_path / "twice.npz"
    with pytest.warns(UserWarning, match="Duplicate name"):
        with zipfile.ZipFile(path, "w") as archive:
            for _ in range(2):
                with archive.open("header.npy", "w") as member:
                    np.lib.format.write_array(member, raw_header({}))
    with pytest.raises(ModelFileError, match=r"twice\.npz is damaged: it holds the entry "
                                             r"'header\.npy' twice"):
        read(path)


@pytest.mark.parametrize("raw", [b"{not json", b"\xff\xfe\x00", b""])
def test_header_with_invalid_json(tmp_path, raw):
    path = write_raw(tmp_path / "bad.npz", {"header": np.frombuffer(raw, dtype=np.uint8)})
    with pytest.raises(ModelFileError, match=r"bad\.npz has a damaged header"):
        read(path)


def test_header_that_is_not_bytes(tmp_path):
    path = write_raw(tmp_path / "bad.npz", {"header": np.zeros((2, 2))})
    with pytest.raises(ModelFileError, match=r"bad\.npz has a damaged header: it should be uint8 "
                                             r"bytes, found float64 \(2, 2\)"):
        read(path)


@pytest.mark.parametrize("header", [[1, 2], {"format": "something-else"}, "fastmlp-model"])
def test_header_of_another_format(tmp_path, header):
    path = write_raw(tmp_path / "other.npz", {"header": raw_header(header)})
    with pytest.raises(ModelFileError, match=r"other\.npz is not a fastmlp model file \(its "
                                             r"header does not say format='fastmlp-model'\)"):
        read(path)


@pytest.mark.parametrize("version", [999, 0, "1", True, None, 1.0])
def test_format_version_unknown(tmp_path, version):
    header = {**header_for({}), "format_version": version}
    path = write_raw(tmp_path / "future.npz", {"header": raw_header(header)})
    with pytest.raises(ModelFileError, match=rf"future\.npz uses model format version "
                                             rf"{version!r}, but this fastmlp \(0\.1\.0\) reads "
                                             r"version 1 or 2; upgrade fastmlp to read it"):
        read(path)


def test_header_that_lists_no_arrays(tmp_path):
    header = {k: v for k, v in header_for({}).items() if k != "arrays"}
    path = write_raw(tmp_path / "nolist.npz", {"header": raw_header(header)})
    with pytest.raises(ModelFileError, match=r"nolist\.npz has a damaged header: it does not "
                                             r"list its arrays"):
        read(path)


@pytest.mark.parametrize("spec", [
    {"shape": [3], "dtype": "object"}, {"shape": [3], "dtype": "<U4"},
    {"shape": [-1], "dtype": "float32"}, {"shape": [True], "dtype": "float32"},
    {"shape": "3", "dtype": "float32"}, {"shape": [3.0], "dtype": "float32"},
    {"shape": [1] * 40, "dtype": "float32"}, {"dtype": "float32"}, [3],
])
def test_header_describing_an_array_badly(tmp_path, spec):
    header = {**header_for({}), "arrays": {"w": spec}}
    path = write_raw(tmp_path / "spec.npz", {"header": raw_header(header),
                                             "w": np.zeros(3, np.float32)})
    with pytest.raises(ModelFileError, match=r"spec\.npz has a damaged header: array 'w' is "
                                             r"described as"):
        read(path)


def test_array_the_header_does_not_list(good, tmp_path):
    _, arrays = read(good)
    header = header_for(arrays)
    path = write_raw(tmp_path / "extra.npz", {"header": raw_header(header), **arrays,
                                              "param_4": np.zeros(3, np.float32)})
    with pytest.raises(ModelFileError, match=r"extra\.npz is damaged: it holds an array "
                                             r"'param_4' that its header does not list"):
        read(path)


def test_array_the_header_lists_but_the_file_lacks(good, tmp_path):
    _, arrays = read(good)
    header = header_for(arrays)
    del arrays["param_1"]
    path = write_raw(tmp_path / "missing.npz", {"header": raw_header(header), **arrays})
    with pytest.raises(ModelFileError, match=r"missing\.npz is damaged: its header lists the "
                                             r"array 'param_1', which the file does not hold"):
        read(path)


@pytest.mark.parametrize("stored, found", [
    (np.zeros((4, 3), np.float32), r"float32 \(4, 3\)"),
    (np.zeros((3, 4), np.float64), r"float64 \(3, 4\)"),
    (np.zeros(12, np.float32), r"float32 \(12,\)"),
])
def test_array_unlike_its_description(good, tmp_path, stored, found):
    _, arrays = read(good)
    header = header_for(arrays)
    path = write_raw(tmp_path / "shape.npz", {"header": raw_header(header),
                                              **{**arrays, "param_0": stored}})
    with pytest.raises(ModelFileError, match=r"shape\.npz is damaged: array 'param_0' should be "
                                             r"float32 \(3, 4\), found " + found):
        read(path)


def test_object_array_is_refused(tmp_path):
    header = {**header_for({}), "arrays": {"w": {"shape": [3], "dtype": "float64"}}}
    path = write_raw(tmp_path / "pickled.npz", {"header": raw_header(header),
                                                "w": np.empty(3, dtype=object)})
    with pytest.raises(ModelFileError, match=r"pickled\.npz is damaged: its entry 'w' holds "
                                             r"Python objects \(a pickle\), which fastmlp never "
                                             r"loads"):
        read(path)


def test_encrypted_member_is_refused(good, tmp_path):
    raw = bytearray(good.read_bytes())
    # Set the "encrypted" flag of every member in the central directory (signature PK\1\2).
    at = raw.find(b"PK\x01\x02")
    while at != -1:
        raw[at + 8] |= 0x1
        at = raw.find(b"PK\x01\x02", at + 4)
    path = tmp_path / "locked.npz"
    path.write_bytes(bytes(raw))
    with pytest.raises(ModelFileError, match=r"locked\.npz is damaged: its entry .* is "
                                             r"encrypted"):
        read(path)


# --------------------------------------------------------------------------- hostile files


def test_array_claiming_more_bytes_than_the_file_holds(tmp_path):
    """The .npy preamble says 20000 x 20000 (1.6 GB); only the preamble is stored."""
    header = {**header_for({}), "arrays": {"W": {"shape": [20000, 20000], "dtype": "float32"}}}
    path = write_raw(tmp_path / "claim.npz", {"header": raw_header(header),
                                              "W": npy_preamble((20000, 20000))})
    assert path.stat().st_size < 10_000
    peak = rejected(path, r"claim\.npz is damaged: array 'W' should take 1,600,000,128 bytes, "
                          r"its entry holds 128")
    assert peak < 2 * 2**20


def test_entry_claiming_more_bytes_than_the_archive_holds(good, tmp_path):
    raw = bytearray(good.read_bytes())
    # Make the central directory's sizes of the first member claim 2 GB more than it holds.
    at = raw.find(b"PK\x01\x02")
    for field in (20, 24):  # compressed and uncompressed size
        size = int.from_bytes(raw[at + field:at + field + 4], "little")
        if size != 0xFFFFFFFF:  # not a zip64 placeholder
            raw[at + field:at + field + 4] = (size + 2**31).to_bytes(4, "little")
    path = tmp_path / "liar.npz"
    path.write_bytes(bytes(raw))
    peak = rejected(path, r"liar\.npz is (damaged: its entry .* claims [\d,]+ bytes that the "
                          r"file does not hold|not a readable fastmlp model file)")
    assert peak < 2 * 2**20


def test_zip_bomb_is_refused_without_inflating(tmp_path):
    """A compressed member that would inflate to 200 MB: refused from the directory alone."""
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("header.npy", npy_preamble((200 * 2**20,), "|u1") + bytes(200 * 2**20))
    assert path.stat().st_size < 400_000
    peak = rejected(path, r"bomb\.npz is not a fastmlp model file as model.save writes it: its "
                          r"entry 'header\.npy' is compressed")
    assert peak < 2 * 2**20


def test_compressed_copy_of_a_good_file_is_refused_with_a_way_out(good, tmp_path):
    _, arrays = read(good)
    header, _ = read(good)
    path = tmp_path / "squeezed.npz"
    np.savez_compressed(path, header=raw_header(header), **arrays)
    with pytest.raises(ModelFileError, match=r"is compressed .*save it again with "
                                             r"model\.save\(path\)"):
        read(path)


def test_huge_header_is_refused_before_reading_it(tmp_path):
    huge = np.frombuffer(b" " * (serialization.MAX_HEADER_BYTES + 2**20), dtype=np.uint8)
    path = write_raw(tmp_path / "big.npz", {"header": huge})
    peak = rejected(path, r"big\.npz has a damaged header: it takes 2,09[\d,]+ bytes, more "
                          r"than the 1,048,576 a model file may use")
    assert peak < 2 * 2**20


@pytest.mark.parametrize("opener", ["[", '{"a":'])
def test_deeply_nested_header_is_refused(tmp_path, opener):
    """100,000 nested lists made json.loads raise RecursionError."""
    body = b'{"format": "fastmlp-model", "format_version": 1, "x": ' + opener.encode() * 100_000
    path = write_raw(tmp_path / "deep.npz", {"header": np.frombuffer(body, dtype=np.uint8)})
    peak = rejected(path, r"deep\.npz has a damaged header: its JSON nests deeper than 32 levels")
    assert peak < 4 * 2**20


def test_brackets_inside_strings_do_not_count_as_nesting(tmp_path):
    text = '[[[{{{"' + "[" * 100 + '\\"' + "{" * 100 + '"'
    write(tmp_path / "m.npz", {"note": text, "nested": [[[[1]]]]}, {})
    header, _ = read(tmp_path / "m.npz")
    assert header["note"] == text and header["nested"] == [[[[1]]]]


def test_header_with_an_enormous_number_is_damaged_not_a_crash(tmp_path):
    body = b'{"format": "fastmlp-model", "format_version": ' + b"9" * 10_000 + b"}"
    path = write_raw(tmp_path / "digits.npz", {"header": np.frombuffer(body, dtype=np.uint8)})
    with pytest.raises(ModelFileError, match=r"digits\.npz has a damaged header"):
        read(path)


def test_too_many_arrays_listed(tmp_path):
    listed = {f"a{i}": {"shape": [1], "dtype": "uint8"}
              for i in range(serialization.MAX_ARRAYS + 1)}
    header = {**header_for({}), "arrays": listed}
    path = write_raw(tmp_path / "many.npz", {"header": raw_header(header)})
    with pytest.raises(ModelFileError, match=r"many\.npz has a damaged header: it lists "
                                             r"10,001 arrays, more than the 10,000"):
        read(path)
