"""Datasets: IDX and CSV readers, MNIST / Fashion-MNIST loaders, shipped toy sets, batching.

One job per module:

- ``idx``: :func:`read_idx` / :func:`write_idx`, the MNIST file format.
- ``mnist_csv``: :func:`read_mnist_csv`, the Kaggle CSV layout.
- ``sources``: file names, checksums, mirrors and folders of the MNIST-format datasets.
- ``download``: checksum-verified, atomic downloads.
- ``dataset_search``: :func:`locate`, the search order on disk, and
  :class:`DatasetNotFoundError`.
- ``mnist_checks``: what the files of an MNIST-format dataset must hold.
- ``mnist``: :func:`load_mnist` / :func:`load_fashion_mnist` and :func:`download_dataset`.
- ``toy``: :func:`load_digits` / :func:`load_iris`, shipped inside the package.
- ``batching``: :func:`split`, :func:`one_hot`, :func:`batches`.

Every loader returns ``(X_train, y_train), (X_test, y_test)``; ``X`` is 2-D (one flattened
sample per row), float32 when ``scaled`` (the default) and ``y`` is int64.
"""

from .batching import batches, one_hot, split
from .dataset_search import DatasetNotFoundError, locate
from .download import ChecksumError, DownloadError
from .idx import IDXFormatError, read_idx, write_idx
from .mnist import download_dataset, load_fashion_mnist, load_mnist
from .mnist_csv import CSVFormatError, read_mnist_csv
from .sources import FASHION_MNIST_CLASSES, cache_dir
from .toy import IRIS_CLASSES, IRIS_FEATURES, load_digits, load_iris

__all__ = [
    "CSVFormatError",
    "ChecksumError",
    "DatasetNotFoundError",
    "DownloadError",
    "FASHION_MNIST_CLASSES",
    "IDXFormatError",
    "IRIS_CLASSES",
    "IRIS_FEATURES",
    "batches",
    "cache_dir",
    "download_dataset",
    "load_digits",
    "load_fashion_mnist",
    "load_iris",
    "load_mnist",
    "locate",
    "one_hot",
    "read_idx",
    "read_mnist_csv",
    "split",
    "write_idx",
]
