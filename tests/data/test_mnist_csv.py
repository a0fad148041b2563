"""Kaggle-style MNIST CSV files (fastmlp.data.mnist_csv)."""

from __future__ import annotations

import gzip
import re

import numpy as np
import pytest

import fastmlp.data as fd


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


@pytest.mark.parametrize("n_pixels, shown", [
    (0, "0"), (-784, "-784"), (784.0, "784.0"), ("784", "'784'"), (True, "True"),
    (None, "None"),
])
def test_n_pixels_must_be_a_positive_integer(tmp_path, csv_rows, n_pixels, shown):
    labels, pixels = csv_rows
    path = tmp_path / "train.csv"
    path.write_text(csv_text(np.column_stack([labels, pixels])))
    with pytest.raises(ValueError, match=rf"n_pixels must be a positive integer \(pixels per "
                                         rf"image, 784 for 28x28\), got {re.escape(shown)}$"):
        fd.read_mnist_csv(path, n_pixels=n_pixels)


def test_n_pixels_accepts_numpy_integers(tmp_path, csv_rows):
    labels, pixels = csv_rows
    path = tmp_path / "train.csv"
    path.write_text(csv_text(np.column_stack([labels, pixels])))
    X, y = fd.read_mnist_csv(path, n_pixels=np.int64(784))
    assert X.shape == (4, 784) and y.tolist() == labels.tolist()
