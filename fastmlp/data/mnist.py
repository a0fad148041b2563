"""Find, download and load MNIST and Fashion-MNIST.

The four IDX files are looked for, in order, in

1. the ``path`` argument (a folder),
2. ``$FASTMLP_DATA/<name>/``, then ``$FASTMLP_DATA/`` itself,
3. the cache, ``$XDG_CACHE_HOME/fastmlp/<name>/`` (default ``~/.cache/fastmlp/<name>/``),
4. the system folder (``/usr/share/datasets/<name>/``, where Debian's
   ``dataset-fashion-mnist`` puts Fashion-MNIST),

and the first folder holding all four wins. Failing that they are downloaded into the
cache from the mirrors (checksums verified) unless ``download=False``.
"""

from __future__ import annotations

import math
import os
import warnings
from pathlib import Path

import numpy as np

from . import sources
from .download import DEFAULT_TIMEOUT, DownloadError, check_timeout, fetch_from_mirrors
from .idx import read_idx


class DatasetNotFoundError(FileNotFoundError):
    """A dataset is in none of the places looked, and could not be downloaded.

    Attributes
    ----------
    looked : list of (str, str)
        Every place looked, with what was found there.
    """

    def __init__(self, message, looked):
        super().__init__(message)
        self.looked = looked


def _find_in(folder):
    """Map each role to its file in ``folder``; return (found, missing stems)."""
    found, missing = {}, []
    for role, stem in sources.FILES.items():
        for name in sources.local_names(stem):
            candidate = folder / name
            if candidate.is_file():
                found[role] = candidate
                break
        else:
            missing.append(stem)
    return found, missing


def _places(name, path):
    """(label, folder or None, note) for every place, in search order."""
    places = []
    if path is not None:
        places.append(("path argument", Path(path).expanduser(), None))
    env = os.environ.get(sources.DATA_ENV, "").strip()
    if env:
        base = Path(env).expanduser()
        places.append((f"${sources.DATA_ENV}/{name}", base / name, None))
        places.append((f"${sources.DATA_ENV}", base, None))
    else:
        places.append((f"${sources.DATA_ENV}", None, "not set"))
    places.append(("cache", sources.cache_dir(name), None))
    places.append(("system folder", sources.SYSTEM_DIRS[name], None))
    return places


def locate(name, path=None):
    """Find the four files of a dataset on disk, without downloading.

    Parameters
    ----------
    name : {"mnist", "fashion-mnist"}
    path : str or os.PathLike, optional
        A folder to look in first.

    Returns
    -------
    files : dict of str to pathlib.Path or None
        ``train_images``, ``train_labels``, ``test_images``, ``test_labels`` to paths, or
        None when no place holds all four.
    looked : list of (str, str)
        Each place looked (``"cache: /home/me/.cache/fastmlp/mnist"``) with what was there.
    """
    sources.check_name(name)
    looked = []
    for label, folder, note in _places(name, path):
        where = f"{label}: {folder}" if folder is not None else label
        if folder is None:
            looked.append((where, note))
            continue
        if not folder.exists():
            looked.append((where, "does not exist"))
            continue
        if not folder.is_dir():
            looked.append((where, "is not a folder"))
            continue
        found, missing = _find_in(folder)
        if not missing:
            return found, looked + [(where, "found")]
        detail = "no dataset files" if not found else "missing " + ", ".join(missing)
        looked.append((where, detail))
    return None, looked


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


def _not_found(name, looked, mirrors, download):
    title = sources.TITLES[name]
    lines = [f"{title} was not found. Looked in, in order:"]
    for i, (where, what) in enumerate(looked, 1):
        lines.append(f"  {i}. {where}: " + what.replace("\n", "\n     "))
    lines.append("To get the files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
                 "t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz, gzipped or not):")
    if not download:
        lines.append("  - allow downloading: pass download=True")
    lines += [f"  - {hint}" for hint in sources.HOW_TO_GET[name]]
    lines.append(f"  - put them in a folder and pass path=..., or set ${sources.DATA_ENV} to "
                 f"that folder (or to its parent, naming the folder {name}/)")
    if mirrors:
        lines.append("  - or download them yourself from " + " or ".join(mirrors))
    lines.append(f"  - or point ${sources.MIRROR_ENV[name]} at a mirror you can reach")
    return DatasetNotFoundError("\n".join(lines), looked)


#: What every MNIST-format dataset promises: 28x28 images, labels 0..9.
IMAGE_SHAPE = (28, 28)
N_CLASSES = 10


def _check_split(images, labels, files, split, title):
    """Raise unless the two files hold what the dataset promises, matching in length."""
    image_file, label_file = files[split + "_images"], files[split + "_labels"]
    if images.dtype != np.uint8 or labels.dtype != np.uint8:
        raise ValueError(
            f"{image_file} and {label_file} should hold unsigned bytes (IDX code 0x08), got "
            f"{images.dtype} and {labels.dtype}; these are not MNIST-format files"
        )
    if images.shape[1:] != IMAGE_SHAPE:
        raise ValueError(
            f"{image_file} holds images of {images.shape[1]}x{images.shape[2]} pixels, but "
            f"{title} images are 28x28; these are not {title} files (check the folder, or "
            f"read other image files with fastmlp.data.read_idx)"
        )
    if len(images) != len(labels):
        raise ValueError(
            f"{image_file} holds {len(images)} images but {label_file} holds {len(labels)} "
            "labels; the two files do not belong together"
        )
    if len(labels) and labels.max() >= N_CLASSES:
        at = int(np.argmax(labels >= N_CLASSES))
        raise ValueError(
            f"{label_file} holds the label {labels[at]} (sample {at}), but {title} labels "
            f"are 0..{N_CLASSES - 1}; the file is damaged or from another dataset"
        )


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
            raise _not_found(name, looked, urls, download) from err
        files, _ = _find_in(target)
    elif files is None:
        looked.append(("download", "skipped (download=False)"))
        raise _not_found(name, looked, sources.mirrors_for(name, mirrors), download)
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
        _check_split(images, labels, files, split, sources.TITLES[name])
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
