"""Tiny MNIST-shaped datasets made here: IDX bytes, files on disk, gzip payloads to serve.

Shared by the loader and download tests (plain functions; the fixtures are in conftest.py).
"""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import numpy as np

import fastmlp.data as fd
from fastmlp.data import sources

STEMS = list(sources.FILES.values())



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


def first_pixel(name, **kw):
    """Load ``name`` without downloading and return the pixel ``write_dataset`` marked."""
    loader = fd.load_mnist if name == "mnist" else fd.load_fashion_mnist
    (X_train, _), _ = loader(scaled=False, download=False, **kw)
    return int(X_train[0, 0])


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
