"""Where the MNIST-format datasets live: file names, checksums, mirrors and folders.

Everything a deployment may want to change is a module-level name read at call time, so
``monkeypatch.setattr`` / ``setitem`` in tests and plain assignment in user code both work.

Checksums are of the official ``.gz`` files as the mirrors serve them:

- MNIST: the md5s published alongside the files (the ones torchvision and most download
  scripts check) and the sha256s of the same files.
- Fashion-MNIST: the md5s in the table of the upstream README (also shipped in Debian's
  ``dataset-fashion-mnist`` docs) and the sha256s of the same files. Debian recompressed its
  copies (new gzip timestamps), so those ``.gz`` files hash differently even though their
  decompressed bytes are identical to upstream's; that is why local copies are not checked
  against this table, only downloads are.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

MNIST = "mnist"
FASHION_MNIST = "fashion-mnist"
DATASET_NAMES = (MNIST, FASHION_MNIST)

TITLES = {MNIST: "MNIST", FASHION_MNIST: "Fashion-MNIST"}

# The four files of both datasets, by role. Names are the official ones without ".gz".
FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}

FASHION_MNIST_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)

# Base URLs tried in order; each must end in "/" and serve the four official .gz files.
MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)
FASHION_MNIST_MIRRORS = (
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
    "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/",
)
MIRROR_ENV = {MNIST: "FASTMLP_MNIST_MIRROR", FASHION_MNIST: "FASTMLP_FASHION_MNIST_MIRROR"}
DATA_ENV = "FASTMLP_DATA"

CHECKSUMS = {
    MNIST: {
        "train-images-idx3-ubyte.gz": {
            "md5": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
            "sha256": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        },
        "train-labels-idx1-ubyte.gz": {
            "md5": "d53e105ee54ea40749a09fcbcd1e9432",
            "sha256": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        },
        "t10k-images-idx3-ubyte.gz": {
            "md5": "9fb629c4189551a2d022fa330f9573f3",
            "sha256": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        },
        "t10k-labels-idx1-ubyte.gz": {
            "md5": "ec29112dd5afa0611ce80d1b7f02629c",
            "sha256": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        },
    },
    FASHION_MNIST: {
        "train-images-idx3-ubyte.gz": {
            "md5": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
            "sha256": "08dc20ab1689590a0bcd66e874647b6ee8464e2d501b5a3f1f78831db19a3fdc",
        },
        "train-labels-idx1-ubyte.gz": {
            "md5": "25c81989df183df01b3e8a0aad5dffbe",
            "sha256": "b0197879cbda89f3dc7b894f9fd52b858e68ea4182b6947c9d8c2b67e5f18dcc",
        },
        "t10k-images-idx3-ubyte.gz": {
            "md5": "bef4ecab320f06d8554ea6380940ec79",
            "sha256": "78dcbbfb5a27efaf1b6c1d616caca68560be8766c5bffcb2791df9273a534229",
        },
        "t10k-labels-idx1-ubyte.gz": {
            "md5": "bb300cfdad3c16e7a12a480ee83cd310",
            "sha256": "42bd18137a62d5998cdeae52bf3a0676ac6b706f5cf8439b47bb5b151ae3dccf",
        },
    },
}

# Folders that distribution packages install into (Debian: dataset-fashion-mnist).
SYSTEM_DIRS = {
    MNIST: Path("/usr/share/datasets/mnist"),
    FASHION_MNIST: Path("/usr/share/datasets/fashion-mnist"),
}

# How to get the files, for the not-found message.
HOW_TO_GET = {
    MNIST: (
        "MNIST has no Debian package: copy the four files from a machine that has them "
        "(Kaggle-style CSV copies load with fastmlp.data.read_mnist_csv instead)",
    ),
    FASHION_MNIST: (
        "on Debian/Ubuntu: sudo apt-get install dataset-fashion-mnist "
        "(installs them into /usr/share/datasets/fashion-mnist/)",
    ),
}


def check_name(name):
    """Return ``name`` if it is a known dataset, else raise a ValueError listing them."""
    if name not in DATASET_NAMES:
        valid = ", ".join(repr(n) for n in DATASET_NAMES)
        raise ValueError(f"unknown dataset {name!r}; valid names are: {valid}")
    return name


def local_names(stem):
    """File names accepted on disk for one official file, in order of preference.

    The official gzip name first, then the uncompressed one, then the dotted spelling
    (``train-images.idx3-ubyte``) that some archives and Kaggle uploads use.
    """
    dotted = re.sub(r"-(idx\d-ubyte)$", r".\1", stem)
    return (f"{stem}.gz", stem, dotted, f"{dotted}.gz")


def cache_dir(name):
    """The download cache of one dataset: ``$XDG_CACHE_HOME/fastmlp/<name>`` or
    ``~/.cache/fastmlp/<name>``.

    Parameters
    ----------
    name : {"mnist", "fashion-mnist"}

    Returns
    -------
    pathlib.Path
        The folder; it may not exist yet.
    """
    check_name(name)
    xdg = os.environ.get("XDG_CACHE_HOME")
    # The XDG spec says a relative value is invalid and must be ignored.
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "fastmlp" / name


def parse_mirrors(text):
    """Split a mirror list (whitespace or comma separated) into base URLs ending in ``/``."""
    urls = [u for u in re.split(r"[\s,]+", text.strip()) if u]
    return tuple(u if u.endswith("/") else u + "/" for u in urls)


def mirrors_for(name, mirrors=None):
    """The base URLs to try for ``name``: ``mirrors`` if given, else the env var, else defaults.

    The env var replaces the defaults rather than adding to them, so an offline site or a
    test can be sure nothing leaves the machine.
    """
    check_name(name)
    if mirrors is not None:
        if isinstance(mirrors, str):
            return parse_mirrors(mirrors)
        return parse_mirrors(" ".join(mirrors))
    env = os.environ.get(MIRROR_ENV[name], "").strip()
    if env:
        return parse_mirrors(env)
    return MNIST_MIRRORS if name == MNIST else FASHION_MNIST_MIRRORS
