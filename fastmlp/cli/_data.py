"""Datasets and input files for the command line.

``--dataset`` takes a name (``fashion-mnist``, ``mnist``, ``digits``, ``iris``) or a path:
a Kaggle-style CSV file (label, then one column per pixel) or a folder of MNIST-format IDX
files. Pixel bytes are scaled to [0, 1] the way the loaders scale them, so a model trained
on one form of the data predicts on the others.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import data
from ..data import sources
from ..data.mnist_csv import _is_number, _open_text
from ._errors import CLIError, UsageError

#: Names ``--dataset`` accepts; anything else must be a path.
NAMES = ("fashion-mnist", "mnist", "digits", "iris")
_ALIASES = {"fashion": "fashion-mnist", "fashion_mnist": "fashion-mnist",
            "fashionmnist": "fashion-mnist"}
#: A dataset without its own test set keeps this fraction of it for testing.
TEST_FRACTION = 0.1
#: Splits of the data itself are seeded apart from the model, so that ``evaluate`` sees the
#: very test samples ``train`` held out whatever ``--seed`` was.
DATA_SEED = 0


@dataclass
class Dataset:
    """Train and test arrays with what the reports need to describe them."""

    title: str
    key: str  # which default recipe applies: a name in NAMES, or "images" / "other"
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    labels: tuple | None = None
    image_shape: tuple | None = None

    @property
    def n_features(self):
        return self.X_train.shape[1]

    @property
    def n_classes(self):
        return int(max(self.y_train.max(), self.y_test.max())) + 1


def load(spec, download=True):
    """The dataset ``--dataset spec`` names, or raise CLIError / UsageError."""
    name = _ALIASES.get(spec.lower(), spec.lower())
    if name in ("fashion-mnist", "mnist"):
        loader = data.load_fashion_mnist if name == "fashion-mnist" else data.load_mnist
        try:
            (X, y), (Xt, yt) = loader(download=download)
        except data.DatasetNotFoundError as err:
            raise CLIError(_not_found(name, download)) from err
        labels = data.FASHION_MNIST_CLASSES if name == "fashion-mnist" else None
        return Dataset(sources.TITLES[name], name, X, y, Xt, yt, labels, (28, 28))
    if name == "digits":
        (X, y), (Xt, yt) = data.load_digits()
        return Dataset("digits (8x8, shipped)", name, X, y, Xt, yt, None, (8, 8))
    if name == "iris":
        (X, y), (Xt, yt) = data.load_iris()
        return Dataset("iris (shipped)", name, X, y, Xt, yt, data.IRIS_CLASSES, None)
    path = Path(spec).expanduser()
    if not path.exists():
        raise UsageError(f"--dataset {spec!r} is neither a dataset name ({', '.join(NAMES)}) "
                         f"nor an existing file or folder")
    return _from_folder(path) if path.is_dir() else _from_csv(path)


def _not_found(name, download):
    title = sources.TITLES[name]
    tried = "not on this machine and could not be downloaded" if download \
        else "not on this machine (downloading is off)"
    if name == "fashion-mnist":
        fix = ("install it with 'apt-get install dataset-fashion-mnist' (as root, or with "
               "sudo), or put its four IDX files in $FASTMLP_DATA/fashion-mnist/")
    else:
        fix = ("put its four IDX files in $FASTMLP_DATA/mnist/, or pass a Kaggle CSV or an "
               "IDX folder as --dataset PATH")
    return (f"{title} is {tried}; {fix}. '--dataset digits' works offline. See "
            f"docs/datasets.md; --debug lists every place looked.")


def _scaled(pixels):
    return pixels.astype(np.float32) / np.float32(255)


def _square_shape(n_features):
    side = int(round(n_features ** 0.5))
    return (side, side) if side * side == n_features and side > 1 else None


def _images_dataset(title, X, y, Xt=None, yt=None):
    X = X.reshape(len(X), -1)
    if Xt is None:
        (X, y), (Xt, yt) = data.split(X, y, test_size=TEST_FRACTION, seed=DATA_SEED,
                                      stratify=np.bincount(y).min() >= 2)
    Xt = Xt.reshape(len(Xt), -1)
    key = "images" if X.shape[1] == 784 else "other"
    return Dataset(title, key, _scaled(X), y.astype(np.int64), _scaled(Xt),
                   yt.astype(np.int64), None, _square_shape(X.shape[1]))


def _from_csv(path):
    width, first = _csv_head(path)
    if not _is_number(first) and first.lower() != "label":
        raise CLIError(f"{path} has no label column (its header starts with {first!r}); "
                       f"training and evaluating need the label in the first column, as in "
                       f"Kaggle's train.csv")
    X, y = data.read_mnist_csv(path, n_pixels=width - 1)
    return _images_dataset(str(path), X, y)


def _csv_head(path):
    """The number of columns and the first cell of the first non-blank line."""
    try:
        with _open_text(path) as text:
            line = next((row for row in text if row.strip()), "")
    except (OSError, EOFError, UnicodeDecodeError) as err:
        raise CLIError(f"{path} is not a readable CSV file: {err}") from None
    cells = line.strip().split(",")
    if len(cells) < 2:
        raise CLIError(f"{path} does not look like a CSV file of samples (its first row has "
                       f"{len(cells)} column)")
    return len(cells), cells[0].strip()


def _find(folder, stem):
    for name in sources.local_names(stem):
        if (folder / name).is_file():
            return folder / name
    return None


def _from_folder(folder):
    files = {role: _find(folder, stem) for role, stem in sources.FILES.items()}
    if files["train_images"] is None or files["train_labels"] is None:
        csv = folder / "train.csv"
        if csv.is_file():
            return _from_csv(csv)
        raise CLIError(f"{folder} holds neither MNIST-format IDX files "
                       f"({sources.FILES['train_images']}[.gz] and "
                       f"{sources.FILES['train_labels']}[.gz], optionally the t10k-* pair) "
                       f"nor a train.csv")
    X, y = (data.read_idx(files[r], ndim=d) for r, d in (("train_images", 3),
                                                          ("train_labels", 1)))
    Xt = yt = None
    if files["test_images"] is not None and files["test_labels"] is not None:
        Xt, yt = data.read_idx(files["test_images"], ndim=3), \
            data.read_idx(files["test_labels"], ndim=1)
    if len(X) != len(y) or (Xt is not None and len(Xt) != len(yt)):
        raise CLIError(f"{folder}: the image and label files hold different numbers of "
                       f"samples; they do not belong together")
    return _images_dataset(str(folder), X, y, Xt, yt)


# --------------------------------------------------------------------------- predict input


def read_inputs(path, n_features):
    """Samples to predict from a .npy, .csv or IDX file: ``(X, labels or None)``.

    Integer arrays (pixel bytes) are scaled by 1/255 like the image datasets; float arrays
    are taken as they are, already preprocessed the way the model's training data was.
    """
    path = Path(path)
    if not path.is_file():
        raise CLIError(f"{path}: no such file" if not path.exists() else
                       f"{path} is not a regular file; give a .npy, .csv or IDX file")
    with open(path, "rb") as f:
        head = f.read(6)
    labels = None
    if head.startswith(b"\x93NUMPY"):
        X = _read_npy(path, n_features)
    elif _looks_like_idx(path, head):
        X = data.read_idx(path)
        if X.ndim == 1:
            raise CLIError(f"{path} is an IDX label file; pass the matching image file")
    else:
        width, _ = _csv_head(path)
        if width not in (n_features, n_features + 1):
            raise CLIError(f"{path} has {width} columns but the model takes {n_features} "
                           f"features ({n_features + 1} with a label column first)")
        X, labels = data.read_mnist_csv(path, n_pixels=n_features)
    if X.ndim == 1 and X.size == n_features:
        X = X.reshape(1, -1)
    if X.ndim > 2:  # images (n, h, w) as IDX files and many .npy dumps hold them
        X = X.reshape(len(X), -1)
    if X.ndim != 2 or X.shape[1] != n_features:
        got = X.shape[1] if X.ndim == 2 else f"shape {X.shape}"
        raise CLIError(f"wrong input width: the model takes {n_features} features per sample, "
                       f"{path} has {got}; was the model trained on other data?")
    if np.issubdtype(X.dtype, np.integer):
        X = _scaled(X)
    return X, labels


def _read_npy(path, n_features):
    """A numeric .npy array, its header checked before anything is allocated."""
    expected = f"an array (n, {n_features}) of floats or integer pixel values"
    try:
        with open(path, "rb") as f:
            version = np.lib.format.read_magic(f)
            read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                           else np.lib.format.read_array_header_2_0)
            shape, _, dtype = read_header(f)
            data_bytes = os.fstat(f.fileno()).st_size - f.tell()
    except (ValueError, SyntaxError, EOFError, OSError) as err:
        raise CLIError(f"{path} is not a readable .npy file ({err}); predict needs "
                       f"{expected}") from None
    if dtype.kind not in "biuf":
        kind = {"U": "text", "S": "bytes", "O": "Python objects", "V": "records",
                "c": "complex numbers", "M": "dates", "m": "time spans"}.get(dtype.kind, "")
        raise CLIError(f"{path} holds {kind or 'non-numeric values'} (dtype {dtype.str}), "
                       f"not numbers; predict needs {expected}")
    if data_bytes != math.prod(shape) * dtype.itemsize:
        raise CLIError(f"{path} is damaged: its header promises a {dtype} array of shape "
                       f"{shape} ({math.prod(shape) * dtype.itemsize:,} bytes) but the file "
                       f"holds {data_bytes:,}")
    try:
        return np.load(path, allow_pickle=False)
    except (ValueError, EOFError, OSError) as err:
        raise CLIError(f"{path} is not a plain numeric .npy array: {err}") from None


def _looks_like_idx(path, head):
    import gzip

    if head.startswith(b"\x1f\x8b"):
        if path.name.endswith((".csv.gz", ".txt.gz")):
            return False
        with gzip.open(path, "rb") as f:
            try:
                head = f.read(4)
            except (OSError, EOFError):
                return True  # let the IDX reader explain what is wrong with it
    return len(head) >= 4 and head[:2] == b"\0\0" and head[2] in (8, 9, 11, 12, 13, 14)
