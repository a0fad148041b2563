"""Load MNIST and Fashion-MNIST, downloading them first when they are nowhere on disk.

:func:`load_mnist` and :func:`load_fashion_mnist` look for the four IDX files
(:mod:`fastmlp.data.dataset_search` has the search order), download them into the cache from
the mirrors with their checksums verified (:func:`download_dataset`) unless
``download=False``, read them, check what they hold (:mod:`fastmlp.data.mnist_checks`) and
flatten and scale the images.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np

from . import sources
from .dataset_search import (  # noqa: F401 (DatasetNotFoundError: public here too)
    DatasetNotFoundError,
    files_in,
    locate,
    not_found_error,
)
from .download import DEFAULT_TIMEOUT, DownloadError, check_timeout, fetch_from_mirrors
from .idx import read_idx
from .mnist_checks import IMAGE_SHAPE, N_CLASSES, check_split  # noqa: F401 (N_CLASSES too)


def download_dataset(name, directory=None, *, mirrors=None, timeout=DEFAULT_TIMEOUT,
                     progress=True):
    """Download the four official ``.gz`` files of a dataset, verifying their checksums.

    Files already in ``directory`` are kept. Each file is tried from each mirror in turn.

    Parameters
    ----------
    name : {"mnist", "fashion-mnist"}
    directory : str or os.PathLike, optional
        Destination folder; default the cache, ``sources.cache_dir(name)``.
    mirrors : str or sequence of str, optional
        Base URLs to try in order. Default: ``$FASTMLP_MNIST_MIRROR`` /
        ``$FASTMLP_FASHION_MNIST_MIRROR`` (space- or comma-separated), else the official
        mirrors in ``sources``.
    timeout : float, default 30
        Seconds a mirror may take to connect, stay silent, or deliver 16 KiB before the
        next one is tried (see :mod:`fastmlp.data.download`); a finite number > 0.
    progress : bool, default True
        Show a tqdm progress bar per file.

    Returns
    -------
    pathlib.Path
        The folder holding the four files.

    Raises
    ------
    DownloadError
        A file could not be fetched intact from any mirror; files already fetched stay.
    TypeError, ValueError
        ``timeout`` is not a finite number of seconds > 0.
    """
    sources.check_name(name)
    check_timeout(timeout)
    directory = Path(directory) if directory is not None else sources.cache_dir(name)
    urls = sources.mirrors_for(name, mirrors)
    # Folders this call creates, removed again if nothing lands in them.
    created = [p for p in (directory, *directory.parents) if not p.exists()]
    try:
        for stem in sources.FILES.values():
            if any((directory / n).is_file() for n in sources.local_names(stem)):
                continue
            filename = f"{stem}.gz"
            checksums = sources.CHECKSUMS[name][filename]
            fetch_from_mirrors(filename, urls, directory, checksums=checksums,
                               timeout=timeout, progress=progress)
    except BaseException:
        for folder in created:  # deepest first
            try:
                folder.rmdir()
            except OSError:  # not empty (a verified file landed), or not ours to remove
                break
        raise
    return directory


def _load(name, path, scaled, download, mirrors, timeout, progress):
    check_timeout(timeout)
    files, looked = locate(name, path)
    if files is None and download:
        urls = sources.mirrors_for(name, mirrors)
        target = sources.cache_dir(name)
        try:
            download_dataset(name, target, mirrors=urls, timeout=timeout, progress=progress)
        except DownloadError as err:
            looked.append((f"download into {target}", str(err)))
            raise not_found_error(name, looked, urls, download) from err
        files, _ = files_in(target)
    elif files is None:
        looked.append(("download", "skipped (download=False)"))
        raise not_found_error(name, looked, sources.mirrors_for(name, mirrors), download)
    if path is not None and looked[0][1] != "found":
        warnings.warn(
            f"path={str(path)!r} does not hold {sources.TITLES[name]} "
            f"({looked[0][1]}); using {files['train_images'].parent} instead",
            stacklevel=3,
        )
    out = []
    for split in ("train", "test"):
        images = read_idx(files[f"{split}_images"], ndim=3)
        labels = read_idx(files[f"{split}_labels"], ndim=1)
        check_split(images, labels, files, split, sources.TITLES[name])
        X = images.reshape(len(images), math.prod(IMAGE_SHAPE))
        if scaled:
            X = X.astype(np.float32)
            X /= 255  # in place: the float copy of the training set is 188 MB already
        out.append((X, labels.astype(np.int64)))
    return out[0], out[1]


_LOADER_DOC = """Load {title}: 60,000 training and 10,000 test images of 28x28 pixels, 10 classes.

    Looks for the four IDX files in ``path``, then ``$FASTMLP_DATA/{name}/`` and
    ``$FASTMLP_DATA/``, then the cache (``$XDG_CACHE_HOME/fastmlp/{name}/``, default
    ``~/.cache/fastmlp/{name}/``), then ``/usr/share/datasets/{name}/``; failing all of them,
    downloads them into the cache with checksum verification. Files placed directly in
    ``$FASTMLP_DATA`` are taken for whichever dataset is asked for (both use the same file
    names), so keep MNIST and Fashion-MNIST in ``mnist/`` and ``fashion-mnist/`` subfolders
    when you have both.{extra}

    Parameters
    ----------
    path : str or os.PathLike, optional
        A folder to look in first. If it does not hold the files the search goes on, with
        a warning.
    scaled : bool, default True
        True: ``X`` is float32 in [0, 1] (pixel / 255). False: ``X`` is the raw uint8 0..255.
    download : bool, default True
        Download the files when they are nowhere on disk.
    mirrors : str or sequence of str, optional
        Base URLs to download from, tried in order; default ``${env}`` (space- or
        comma-separated) or else the official mirrors.
    timeout : float, default 30
        Seconds a mirror may take to connect, stay silent, or deliver 16 KiB before the
        next one is tried; a finite number > 0, checked even when no download is needed.
    progress : bool, default True
        Show download progress bars.

    Returns
    -------
    (X_train, y_train), (X_test, y_test)
        ``X_*`` has shape (n, 784), one flattened image per row (row-major 28x28), float32 or
        uint8 per ``scaled``; ``y_*`` has shape (n,), dtype int64 (the index type NumPy and
        PyTorch expect), values 0..9. n is 60,000 for train and 10,000 for test.

    Raises
    ------
    DatasetNotFoundError
        The files are nowhere and could not be downloaded; the message lists every place
        looked and how to get them.
    fastmlp.data.IDXFormatError
        A file that was found is truncated or not an IDX file.
    ValueError
        The files break what the dataset promises: images other than 28x28 bytes, labels
        outside 0..9, or image and label files of different lengths.
    """


def load_mnist(path=None, *, scaled=True, download=True, mirrors=None,
               timeout=DEFAULT_TIMEOUT, progress=True):
    return _load(sources.MNIST, path, scaled, download, mirrors, timeout, progress)


def load_fashion_mnist(path=None, *, scaled=True, download=True, mirrors=None,
                       timeout=DEFAULT_TIMEOUT, progress=True):
    return _load(sources.FASHION_MNIST, path, scaled, download, mirrors, timeout, progress)


load_mnist.__doc__ = _LOADER_DOC.format(
    title="MNIST (handwritten digits, LeCun, Cortes and Burges)", name="mnist",
    env=sources.MIRROR_ENV[sources.MNIST], extra="",
)
load_fashion_mnist.__doc__ = _LOADER_DOC.format(
    title="Fashion-MNIST (Zalando article images, MIT licence)", name="fashion-mnist",
    env=sources.MIRROR_ENV[sources.FASHION_MNIST],
    extra="\n\n    Class names are in ``fastmlp.data.FASHION_MNIST_CLASSES``; on Debian/Ubuntu\n"
    "    ``apt-get install dataset-fashion-mnist`` provides the files offline.",
)
