"""Tests for fastmlp.data: IDX/CSV readers, the MNIST loaders' search order and downloads,
the shipped toy datasets, and the batching helpers.

Downloads are tested against an http.server on 127.0.0.1 serving small IDX files made here.
"""

from __future__ import annotations

import gzip
import hashlib
import http.server
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

import fastmlp.data as fd
from fastmlp.data import sources

IDX_DTYPES = [  # (code, dtype)
    (0x08, np.uint8),
    (0x09, np.int8),
    (0x0B, np.int16),
    (0x0C, np.int32),
    (0x0D, np.float32),
    (0x0E, np.float64),
]
STEMS = list(sources.FILES.values())


# ----------------------------------------------------------------------------- helpers


def idx_bytes(code, shape, payload=None):
    """Hand-built IDX bytes, independent of write_idx."""
    header = bytes([0, 0, code, len(shape)]) + b"".join(d.to_bytes(4, "big") for d in shape)
    if payload is None:
        itemsize = {0x08: 1, 0x09: 1, 0x0B: 2, 0x0C: 4, 0x0D: 4, 0x0E: 8}.get(code, 1)
        payload = bytes(int(np.prod(shape)) * itemsize)
    return header + payload


def make_split_arrays(marker, n_train=6, n_test=4):
    """Tiny MNIST-shaped arrays whose first pixel identifies where they came from."""
    rng = np.random.default_rng(marker)
    arrays = {
        "train_images": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train_labels": rng.integers(0, 10, n_train, dtype=np.uint8),
        "test_images": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "test_labels": rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    arrays["train_images"][0, 0, 0] = marker
    return arrays


def write_dataset(folder, marker, *, style="gz"):
    """Write the four files into ``folder``; style: gz, raw, or dotted (train-images.idx3-ubyte)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    arrays = make_split_arrays(marker)
    for role, stem in sources.FILES.items():
        name = {"gz": f"{stem}.gz", "raw": stem,
                "dotted": sources.local_names(stem)[2]}[style]
        fd.write_idx(folder / name, arrays[role])
    return arrays


def gz_payloads(marker):
    """The four .gz files as bytes, plus their checksums, for serving over HTTP."""
    arrays = make_split_arrays(marker)
    files, sums = {}, {}
    for role, stem in sources.FILES.items():
        raw = idx_bytes(0x08, arrays[role].shape, arrays[role].tobytes())
        data = gzip.compress(raw, mtime=0)
        files[f"{stem}.gz"] = data
        sums[f"{stem}.gz"] = {"md5": hashlib.md5(data).hexdigest(),
                              "sha256": hashlib.sha256(data).hexdigest()}
    return arrays, files, sums


def leftovers(folder):
    """Every file under ``folder`` (none if it does not exist)."""
    folder = Path(folder)
    return sorted(p.name for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture
def env(tmp_path, monkeypatch):
    """Isolate every place the loaders look: env vars, home, cache, system folders, mirrors."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    for var in (sources.DATA_ENV, *sources.MIRROR_ENV.values()):
        monkeypatch.delenv(var, raising=False)
    for name in sources.DATASET_NAMES:
        monkeypatch.setitem(sources.SYSTEM_DIRS, name, tmp_path / "system" / name)
    # Never reach the real mirrors from a test.
    monkeypatch.setattr(sources, "MNIST_MIRRORS", ())
    monkeypatch.setattr(sources, "FASHION_MNIST_MIRRORS", ())

    class Env:
        root = tmp_path
        cache = tmp_path / "xdg" / "fastmlp"
        system = tmp_path / "system"

    return Env


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the name http.server dispatches to
        self.server.hits.append(self.path)
        route = self.server.routes.get(self.path)
        if route is None:
            self.send_error(404, "Not Found")
            return
        body, declared, stall = route
        if stall:
            self.server.release.wait(10)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(declared if declared is not None else len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    """An HTTP server on 127.0.0.1; add routes with ``server.serve(path, body, ...)``."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.routes, httpd.hits, httpd.release = {}, [], threading.Event()
    # A short poll interval keeps shutdown() (which waits for one poll) quick.
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02},
                              daemon=True)
    thread.start()

    def serve(path, body, *, declared=None, stall=False):
        httpd.routes[path] = (body, declared, stall)

    httpd.serve = serve
    httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield httpd
    httpd.release.set()
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


@pytest.fixture
def closed_port_url():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


# ----------------------------------------------------------------------------- IDX


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


# ----------------------------------------------------------------------------- CSV


def csv_text(rows, *, labels=True, header=True, n_pixels=784):
    lines = []
    if header:
        names = [f"pixel{i}" for i in range(n_pixels)]
        lines.append(",".join((["label"] if labels else []) + names))
    for row in rows:
        lines.append(",".join(str(v) for v in row))
    return "\n".join(lines) + "\n"


@pytest.fixture
def csv_rows():
    rng = np.random.default_rng(3)
    pixels = rng.integers(0, 256, (4, 784))
    labels = np.array([3, 0, 9, 5])
    return labels, pixels


def test_csv_train_layout(tmp_path, csv_rows):
    labels, pixels = csv_rows
    path = tmp_path / "train.csv"
    path.write_text(csv_text(np.column_stack([labels, pixels])))
    X, y = fd.read_mnist_csv(path)
    assert X.dtype == np.uint8 and X.shape == (4, 784)
    assert y.dtype == np.int64
    np.testing.assert_array_equal(X, pixels)
    np.testing.assert_array_equal(y, labels)


def test_csv_test_layout_has_no_labels(tmp_path, csv_rows):
    _, pixels = csv_rows
    path = tmp_path / "test.csv"
    path.write_text(csv_text(pixels, labels=False))
    X, y = fd.read_mnist_csv(path)
    assert y is None
    np.testing.assert_array_equal(X, pixels)


def test_csv_without_header_gzipped_and_with_bom(tmp_path, csv_rows):
    labels, pixels = csv_rows
    path = tmp_path / "mnist_train.csv.gz"
    path.write_bytes(gzip.compress(
        ("\ufeff" + csv_text(np.column_stack([labels, pixels]), header=False)).encode()))
    X, y = fd.read_mnist_csv(path)
    np.testing.assert_array_equal(X, pixels)
    np.testing.assert_array_equal(y, labels)


def test_csv_other_image_size(tmp_path):
    path = tmp_path / "small.csv"
    path.write_text("label,p0,p1,p2,p3\n1,0,255,3,4\n")
    X, y = fd.read_mnist_csv(path, n_pixels=4)
    np.testing.assert_array_equal(X, [[0, 255, 3, 4]])
    np.testing.assert_array_equal(y, [1])


def _bad(pixels_row, label=1):
    return [label, *pixels_row]


@pytest.mark.parametrize("mutate,match", [
    (lambda r: r[1].__setitem__(slice(None), r[1][:-1]),
     r"line 3 has 784 columns, expected 785 \(label \+ 784 pixels\)"),
    (lambda r: r[2].__setitem__(12, "abc"),
     r"line 4, column 13 \(pixel11\): 'abc' is not a number"),
    (lambda r: r[0].__setitem__(5, 256),
     r"line 2, column pixel4: 256 is not allowed; pixels must be integers in 0\.\.255"),
    (lambda r: r[0].__setitem__(1, -1), r"line 2, column pixel0: -1 is not allowed"),
    (lambda r: r[1].__setitem__(784, 1.5), r"line 3, column pixel783: 1\.5 is not allowed"),
    (lambda r: r[2].__setitem__(0, -3),
     r"line 4, column label: -3 is not allowed; labels must be integers"),
    (lambda r: r[0].__setitem__(3, "nan"), r"line 2, column pixel2: nan is not allowed"),
])
def test_csv_bad_rows(tmp_path, mutate, match):
    rows = [_bad([0] * 784) for _ in range(3)]
    mutate(rows)
    path = tmp_path / "bad.csv"
    path.write_text(csv_text(rows))
    with pytest.raises(fd.CSVFormatError, match=match):
        fd.read_mnist_csv(path)


@pytest.mark.parametrize("text,match", [
    ("", r"is empty"),
    ("label,a,b\n1,2,3\n", r"first row has 3 columns, expected 785 .* or 784"),
    ("name," + ",".join(f"pixel{i}" for i in range(784)) + "\n",
     r"the first should be 'label', got 'name'"),
    (csv_text([]), r"has a header but no data rows"),
])
def test_csv_bad_files(tmp_path, text, match):
    path = tmp_path / "f.csv"
    path.write_text(text)
    with pytest.raises(fd.CSVFormatError, match=match):
        fd.read_mnist_csv(path)


def test_csv_binary_file_is_rejected(tmp_path):
    path = tmp_path / "images.idx"
    path.write_bytes(b"\x00\x00\x08\x01\xff\xfe\xfd")
    with pytest.raises(fd.CSVFormatError, match=r"not a UTF-8 text file; for IDX files use"):
        fd.read_mnist_csv(path)


# ----------------------------------------------------------------------------- search order


def assert_loaded(result, arrays, *, scaled):
    (X_train, y_train), (X_test, y_test) = result
    assert X_train.shape == (6, 784) and X_test.shape == (4, 784)
    assert y_train.dtype == np.int64 and y_test.dtype == np.int64
    np.testing.assert_array_equal(y_train, arrays["train_labels"])
    np.testing.assert_array_equal(y_test, arrays["test_labels"])
    want = arrays["train_images"].reshape(6, 784)
    if scaled:
        assert X_train.dtype == np.float32 and X_test.dtype == np.float32
        assert 0 <= X_train.min() and X_train.max() <= 1
        np.testing.assert_array_equal(X_train, want.astype(np.float32) / np.float32(255))
    else:
        assert X_train.dtype == np.uint8
        np.testing.assert_array_equal(X_train, want)
        np.testing.assert_array_equal(X_test, arrays["test_images"].reshape(4, 784))


def first_pixel(name, **kw):
    loader = fd.load_mnist if name == "mnist" else fd.load_fashion_mnist
    (X_train, _), _ = loader(scaled=False, download=False, **kw)
    return int(X_train[0, 0])


@pytest.mark.parametrize("name", sources.DATASET_NAMES)
def test_search_order(env, monkeypatch, name):
    explicit = env.root / "explicit"
    data = env.root / "data"
    write_dataset(explicit, 11)
    write_dataset(data / name, 22)
    write_dataset(env.cache / name, 33)
    write_dataset(env.system / name, 44)
    monkeypatch.setenv("FASTMLP_DATA", str(data))
    assert first_pixel(name, path=explicit) == 11
    assert first_pixel(name) == 22
    monkeypatch.delenv("FASTMLP_DATA")
    assert first_pixel(name) == 33
    monkeypatch.setenv("XDG_CACHE_HOME", str(env.root / "elsewhere"))
    assert first_pixel(name) == 44


def test_fastmlp_data_subfolder_beats_flat_files(env, monkeypatch):
    data = env.root / "data"
    write_dataset(data, 55, style="raw")
    monkeypatch.setenv("FASTMLP_DATA", str(data))
    assert first_pixel("mnist") == 55
    write_dataset(data / "mnist", 66)
    assert first_pixel("mnist") == 66


def test_cache_defaults_to_home_without_xdg(env, monkeypatch):
    monkeypatch.delenv("XDG_CACHE_HOME")
    home_cache = env.root / "home" / ".cache" / "fastmlp" / "fashion-mnist"
    assert fd.cache_dir("fashion-mnist") == home_cache
    write_dataset(home_cache, 77)
    assert first_pixel("fashion-mnist") == 77
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/is/ignored")
    assert fd.cache_dir("fashion-mnist") == home_cache


@pytest.mark.parametrize("style", ["gz", "raw", "dotted"])
@pytest.mark.parametrize("scaled", [True, False])
def test_file_name_styles_and_scaling(env, style, scaled):
    arrays = write_dataset(env.root / "d", 88, style=style)
    assert_loaded(fd.load_mnist(env.root / "d", scaled=scaled, download=False), arrays,
                  scaled=scaled)


def test_explicit_path_without_files_warns_and_falls_through(env):
    write_dataset(env.system / "mnist", 44)
    (env.root / "typo").mkdir()
    with pytest.warns(UserWarning, match=r"does not hold MNIST \(no dataset files\); using"):
        assert first_pixel("mnist", path=env.root / "typo") == 44


def test_partial_folder_is_skipped_and_reported(env):
    folder = env.system / "mnist"
    write_dataset(folder, 44)
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    files, looked = fd.locate("mnist")
    assert files is None
    assert (f"system folder: {folder}", "missing t10k-labels-idx1-ubyte") in looked


def test_swapped_files_are_caught(env):
    folder = env.root / "d"
    write_dataset(folder, 5)
    a, b = folder / "train-images-idx3-ubyte.gz", folder / "train-labels-idx1-ubyte.gz"
    tmp = folder / "swap"
    a.rename(tmp)
    b.rename(a)
    tmp.rename(b)
    with pytest.raises(fd.IDXFormatError, match=r"image and label files swapped"):
        fd.load_mnist(folder, download=False)


def test_mismatched_counts_are_caught(env):
    folder = env.root / "d"
    write_dataset(folder, 5)
    fd.write_idx(folder / "t10k-labels-idx1-ubyte.gz", np.zeros(3, np.uint8))
    with pytest.raises(ValueError, match=r"holds 4 images but .* holds 3 labels"):
        fd.load_mnist(folder, download=False)


def test_everything_missing_lists_every_place(env, monkeypatch, closed_port_url):
    monkeypatch.setenv("FASTMLP_DATA", str(env.root / "data"))
    (env.root / "data").mkdir()
    with pytest.raises(fd.DatasetNotFoundError) as info:
        fd.load_fashion_mnist(env.root / "nowhere", mirrors=[closed_port_url], progress=False)
    msg = str(info.value)
    assert isinstance(info.value, FileNotFoundError)
    for expected in [
        f"1. path argument: {env.root / 'nowhere'}: does not exist",
        f"2. $FASTMLP_DATA/fashion-mnist: {env.root / 'data' / 'fashion-mnist'}: does not exist",
        f"3. $FASTMLP_DATA: {env.root / 'data'}: no dataset files",
        f"4. cache: {env.cache / 'fashion-mnist'}: does not exist",
        f"5. system folder: {env.system / 'fashion-mnist'}: does not exist",
        f"6. download into {env.cache / 'fashion-mnist'}: could not download "
        "train-images-idx3-ubyte.gz from any mirror",
        f"{closed_port_url}train-images-idx3-ubyte.gz: could not connect",
        "sudo apt-get install dataset-fashion-mnist",
        "$FASTMLP_DATA",
        f"download them yourself from {closed_port_url}",
        "$FASTMLP_FASHION_MNIST_MIRROR",
    ]:
        assert expected in msg
    assert len(info.value.looked) == 6
    assert not env.cache.exists()  # a failed download leaves no folders behind either


def test_download_false_says_so(env):
    with pytest.raises(fd.DatasetNotFoundError,
                       match=r"(?s)download: skipped \(download=False\).*pass download=True"):
        fd.load_mnist(download=False)


def test_unknown_dataset_name():
    with pytest.raises(ValueError, match=r"unknown dataset 'cifar'; valid names are: 'mnist'"):
        fd.locate("cifar")


# ----------------------------------------------------------------------------- downloads


@pytest.fixture
def served(server, monkeypatch):
    """The four files of a tiny dataset served under /good/, with their checksums in place."""
    arrays, files, sums = gz_payloads(99)
    for filename, data in files.items():
        server.serve(f"/good/{filename}", data)
    monkeypatch.setitem(sources.CHECKSUMS, "mnist", sums)
    server.files = files
    return server, arrays


def test_download_success_then_cached(env, served):
    server, arrays = served
    mirrors = [f"{server.url}/missing/", f"{server.url}/good/"]
    assert_loaded(fd.load_mnist(mirrors=mirrors, progress=False), arrays, scaled=True)
    cache = env.cache / "mnist"
    assert leftovers(cache) == sorted(f"{s}.gz" for s in STEMS)
    for filename, data in server.files.items():
        assert (cache / filename).read_bytes() == data
    assert len(server.hits) == 8  # each file: a 404 from the first mirror, then the second
    assert_loaded(fd.load_mnist(mirrors=mirrors, scaled=False), arrays, scaled=False)
    assert len(server.hits) == 8  # second load came from the cache


def test_download_uses_mirror_env_var_and_shows_progress(env, served, monkeypatch, capsys):
    server, arrays = served
    monkeypatch.setenv("FASTMLP_MNIST_MIRROR", f"{server.url}/good")  # no trailing slash
    assert_loaded(fd.load_mnist(), arrays, scaled=True)
    assert "train-images-idx3-ubyte.gz" in capsys.readouterr().err
    assert all(hit.startswith("/good/") for hit in server.hits)


def test_download_dataset_keeps_files_already_there(env, served, tmp_path):
    server, _ = served
    target = tmp_path / "dl"
    target.mkdir()
    (target / "train-images-idx3-ubyte").write_bytes(b"mine")
    assert fd.download_dataset("mnist", target, mirrors=f"{server.url}/good/",
                               progress=False) == target
    assert (target / "train-images-idx3-ubyte").read_bytes() == b"mine"
    assert "/good/train-images-idx3-ubyte.gz" not in server.hits
    assert len(server.hits) == 3


def test_download_checksum_mismatch(env, served, monkeypatch):
    server, _ = served
    bad = dict(sources.CHECKSUMS["mnist"])
    bad["train-labels-idx1-ubyte.gz"] = {"sha256": "0" * 64}
    monkeypatch.setitem(sources.CHECKSUMS, "mnist", bad)
    with pytest.raises(fd.DatasetNotFoundError,
                       match=r"train-labels-idx1-ubyte\.gz: checksum mismatch: sha256 of the "
                             r"\d+ bytes received is [0-9a-f]{64}, expected 0{64}") as info:
        fd.load_mnist(mirrors=f"{server.url}/good/", progress=False)
    assert isinstance(info.value.__cause__, fd.DownloadError)
    # The verified first file stays; the bad one and any temporary file do not.
    assert leftovers(env.cache) == ["train-images-idx3-ubyte.gz"]


def test_download_truncated_body(env, served):
    server, _ = served
    data = server.files["train-images-idx3-ubyte.gz"]
    server.serve("/cut/train-images-idx3-ubyte.gz", data[:100], declared=len(data))
    with pytest.raises(fd.DatasetNotFoundError,
                       match=rf"truncated download: the server announced {len(data)} bytes "
                             r"but the connection closed after 100"):
        fd.load_mnist(mirrors=f"{server.url}/cut/", progress=False)
    assert leftovers(env.root / "xdg") == []


def test_download_404(env, served):
    server, _ = served
    with pytest.raises(fd.DatasetNotFoundError,
                       match=r"/nothing/train-images-idx3-ubyte\.gz: HTTP 404 Not Found"):
        fd.load_mnist(mirrors=f"{server.url}/nothing/", progress=False)
    assert leftovers(env.root / "xdg") == []


def test_download_server_gone(env, closed_port_url):
    with pytest.raises(fd.DatasetNotFoundError,
                       match=r"could not connect \(connection refused: is the server up\?\)"):
        fd.load_mnist(mirrors=closed_port_url, progress=False)
    assert leftovers(env.root / "xdg") == []


def test_download_timeout(env, served):
    server, _ = served
    server.serve("/slow/train-images-idx3-ubyte.gz", b"", stall=True)
    with pytest.raises(fd.DatasetNotFoundError, match=r"slow/train-images-idx3-ubyte\.gz: timed"):
        fd.load_mnist(mirrors=f"{server.url}/slow/", timeout=0.3, progress=False)
    assert leftovers(env.root / "xdg") == []


def test_download_file_url_and_bad_scheme(env, served, tmp_path):
    server, arrays = served
    local = tmp_path / "mirror"
    local.mkdir()
    for filename, data in server.files.items():
        (local / filename).write_bytes(data)
    assert_loaded(fd.load_mnist(mirrors=local.as_uri() + "/", progress=False), arrays,
                  scaled=True)
    with pytest.raises(fd.DownloadError, match=r"unsupported URL scheme 'ftp'"):
        fd.download_dataset("mnist", tmp_path / "x", mirrors="ftp://example.invalid/",
                            progress=False)


def test_no_mirrors_configured(env):
    with pytest.raises(fd.DatasetNotFoundError, match=r"no mirrors configured"):
        fd.load_mnist(progress=False)


def test_published_checksum_table_is_complete():
    for name in sources.DATASET_NAMES:
        assert sorted(sources.CHECKSUMS[name]) == sorted(f"{s}.gz" for s in STEMS)
        for sums in sources.CHECKSUMS[name].values():
            assert len(sums["md5"]) == 32 and len(sums["sha256"]) == 64
            int(sums["md5"], 16), int(sums["sha256"], 16)
    assert all(m.endswith("/") for m in sources.MNIST_MIRRORS + sources.FASHION_MNIST_MIRRORS)


# ----------------------------------------------------------------------------- toy datasets


def test_digits_shape_and_labels():
    X, y = fd.load_digits(split=False, scaled=False)
    assert X.shape == (1797, 64) and X.dtype == np.uint8
    assert y.shape == (1797,) and y.dtype == np.int64
    assert X.min() == 0 and X.max() == 16
    np.testing.assert_array_equal(np.unique(y), np.arange(10))
    Xs, _ = fd.load_digits(split=False)
    assert Xs.dtype == np.float32
    np.testing.assert_array_equal(Xs, X / np.float32(16))


def test_digits_split_is_seeded_and_stratified():
    (X_train, y_train), (X_test, y_test) = fd.load_digits(seed=1)
    assert X_train.shape == (1437, 64) and X_test.shape == (360, 64)
    _, y_all = fd.load_digits(split=False)
    share = np.bincount(y_test, minlength=10) / np.bincount(y_all, minlength=10)
    assert np.all(np.abs(share - 0.2) < 0.02)
    (X_again, _), _ = fd.load_digits(seed=1)
    np.testing.assert_array_equal(X_train, X_again)
    (X_other, _), _ = fd.load_digits(seed=2)
    assert not np.array_equal(X_train, X_other)
    together = np.concatenate([X_train, X_test])
    X_all, _ = fd.load_digits(split=False)
    assert sorted(r.tobytes() for r in together) == sorted(r.tobytes() for r in X_all)


def test_shipped_files_hold_no_pickle():
    import fastmlp

    folder = Path(fastmlp.__file__).parent / "_data"
    for name in ("digits.npz", "iris.npz"):
        with np.load(folder / name, allow_pickle=False) as npz:
            assert sorted(npz.files) == ["data", "target"]
            assert npz["data"].dtype == np.uint8 and npz["target"].dtype == np.uint8
    assert "CC BY 4.0" in (folder / "README.md").read_text()


def test_toy_sets_load_without_sklearn(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    assert fd.load_digits(split=False)[0].shape == (1797, 64)
    assert fd.load_iris(split=False)[0].shape == (150, 4)


def test_importing_fastmlp_data_does_not_import_sklearn():
    code = ("import sys; sys.modules['sklearn'] = None; import fastmlp.data as d; "
            "print(d.load_digits(split=False)[0].shape, d.load_iris()[1][0].shape)")
    repo = str(Path(__file__).resolve().parents[1])
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={**os.environ, "PYTHONPATH": repo})
    assert out.stdout.strip() == "(1797, 64) (30, 4)"


def test_digits_equal_sklearn():
    datasets = pytest.importorskip("sklearn.datasets")
    ref = datasets.load_digits()
    X, y = fd.load_digits(split=False, scaled=False)
    np.testing.assert_array_equal(X, ref.data)
    np.testing.assert_array_equal(y, ref.target)


def test_iris_equal_sklearn_and_scaling():
    datasets = pytest.importorskip("sklearn.datasets")
    ref = datasets.load_iris()
    X, y = fd.load_iris(split=False, scaled=False)
    assert X.dtype == np.float32 and X.shape == (150, 4)
    np.testing.assert_array_equal(X, ref.data.astype(np.float32))
    np.testing.assert_array_equal(y, ref.target)
    assert list(ref.target_names) == list(fd.IRIS_CLASSES)


def test_iris_scaled_with_training_statistics_only():
    (X_train, y_train), (X_test, _) = fd.load_iris(seed=3)
    (R_train, r_train), (R_test, _) = fd.load_iris(seed=3, scaled=False)
    np.testing.assert_array_equal(y_train, r_train)
    R_train, R_test = R_train.astype(np.float64), R_test.astype(np.float64)
    mean, std = R_train.mean(axis=0), R_train.std(axis=0)
    # Features are within +-4 sd, so float32 rounding stays below 4 * 2**-24 < 1e-6.
    np.testing.assert_allclose(X_train, (R_train - mean) / std, rtol=0, atol=1e-6)
    np.testing.assert_allclose(X_test, (R_test - mean) / std, rtol=0, atol=1e-6)
    np.testing.assert_allclose(X_train.mean(axis=0, dtype=np.float64), 0, atol=1e-6)
    assert np.abs(X_test.mean(axis=0)).max() > 1e-3  # test part is not re-centred on itself
    assert np.bincount(y_train).tolist() == [40, 40, 40]
    X_all, _ = fd.load_iris(split=False)
    np.testing.assert_allclose(X_all.std(axis=0, dtype=np.float64), 1, rtol=0, atol=1e-6)


def test_split_sizes_and_determinism():
    X = np.arange(20).reshape(10, 2)
    y = np.arange(10)
    (Xa, ya), (Xb, yb) = fd.split(X, y, test_size=0.25, seed=0)
    assert len(Xb) == 3 and len(Xa) == 7  # 2.5 rounds up
    np.testing.assert_array_equal(Xa[:, 0] // 2, ya)  # rows stay paired
    assert sorted(np.concatenate([ya, yb]).tolist()) == list(range(10))
    (Xc, _), _ = fd.split(X, y, test_size=0.25, seed=0)
    np.testing.assert_array_equal(Xa, Xc)
    (_, _), (Xd, yd) = fd.split(X, y, test_size=4, shuffle=False)
    np.testing.assert_array_equal(yd, [6, 7, 8, 9])


def test_split_stratified_keeps_proportions_exactly_when_possible():
    y = np.repeat([0, 1, 2], [50, 30, 20])
    _, (_, y_test) = fd.split(np.zeros((100, 1)), y, test_size=0.2, seed=5, stratify=True)
    assert np.bincount(y_test).tolist() == [10, 6, 4]


def test_split_stratified_rounding_total_is_exact():
    y = np.repeat([0, 1, 2], [7, 7, 7])
    (_, y_train), (_, y_test) = fd.split(np.zeros(21), y, test_size=5, seed=0, stratify=True)
    assert len(y_test) == 5 and len(y_train) == 16
    assert np.bincount(y_test, minlength=3).min() >= 1 and np.bincount(y_test).max() == 2


@pytest.mark.parametrize("kwargs,match", [
    ({"test_size": 0}, r"leaves 0 of 10 samples"),
    ({"test_size": -0.5}, r"fraction in \(0, 1\) or a count"),
    ({"test_size": 10}, r"leaves 10 of 10 samples"),
    ({"test_size": 1.0}, r"fraction in \(0, 1\)"),
    ({"test_size": 2, "stratify": True}, r"at least one sample of each of the 3 classes"),
    ({"stratify": True, "shuffle": False}, r"stratify=True needs shuffle=True"),
])
def test_split_errors(kwargs, match):
    y = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2, 2])
    with pytest.raises(ValueError, match=match):
        fd.split(np.zeros((10, 2)), y, **kwargs)


def test_split_rejects_singleton_class_and_length_mismatch():
    with pytest.raises(ValueError, match=r"class 7 has 1"):
        fd.split(np.zeros(5), [0, 0, 0, 0, 7], test_size=2, stratify=True)
    with pytest.raises(ValueError, match=r"X has 3 samples but y has 2"):
        fd.split(np.zeros(3), [0, 1])


def test_one_hot():
    out = fd.one_hot([2, 0, 1])
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [[0, 0, 1], [1, 0, 0], [0, 1, 0]])
    assert fd.one_hot(np.array([1.0, 0.0]), 4).shape == (2, 4)
    with pytest.raises(ValueError, match=r"label 5 is outside \[0, 3\)"):
        fd.one_hot([0, 5], 3)
    with pytest.raises(ValueError, match=r"integer class labels"):
        fd.one_hot([0.5, 1.0])


def test_batches_cover_every_sample_once():
    X = np.arange(10)
    y = X * 10
    got = list(fd.batches(X, y, batch_size=4, shuffle=True, seed=0))
    assert [len(b[0]) for b in got] == [4, 4, 2]
    seen = np.concatenate([b[0] for b in got])
    assert sorted(seen.tolist()) == list(range(10)) and not np.array_equal(seen, X)
    np.testing.assert_array_equal(np.concatenate([b[1] for b in got]), seen * 10)
    assert [len(b) for b in fd.batches(X, batch_size=4, drop_last=True)] == [4, 4]
    with pytest.raises(ValueError, match=r"batch_size must be a positive integer"):
        next(fd.batches(X, batch_size=0))


# ----------------------------------------------------------------------------- real data


# sha256 of the decompressed official Fashion-MNIST files (the IDX bytes): identical for the
# upstream .gz files and Debian's recompressed copies.
FASHION_RAW_SHA256 = {
    "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}
SYSTEM_FASHION = Path("/usr/share/datasets/fashion-mnist")


@pytest.mark.slow
def test_real_fashion_mnist_from_system_folder(env, monkeypatch):
    if not all((SYSTEM_FASHION / f"{s}.gz").is_file() for s in STEMS):
        pytest.skip(f"Fashion-MNIST is not in {SYSTEM_FASHION} "
                    "(apt-get install dataset-fashion-mnist)")
    monkeypatch.setitem(sources.SYSTEM_DIRS, "fashion-mnist", SYSTEM_FASHION)
    for stem, digest in FASHION_RAW_SHA256.items():
        with gzip.open(SYSTEM_FASHION / f"{stem}.gz") as f:
            assert hashlib.sha256(f.read()).hexdigest() == digest, stem
    (X_train, y_train), (X_test, y_test) = fd.load_fashion_mnist(download=False)
    assert X_train.shape == (60000, 784) and X_test.shape == (10000, 784)
    assert X_train.dtype == np.float32 and y_train.dtype == np.int64
    assert X_train.min() == 0.0 and X_train.max() == 1.0
    assert X_test.min() == 0.0 and X_test.max() == 1.0
    assert np.bincount(y_train).tolist() == [6000] * 10
    assert np.bincount(y_test).tolist() == [1000] * 10
    (R_train, _), _ = fd.load_fashion_mnist(download=False, scaled=False)
    assert R_train.dtype == np.uint8
    np.testing.assert_array_equal(R_train.astype(np.float32) / np.float32(255), X_train)
