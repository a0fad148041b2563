"""Find the four IDX files of MNIST or Fashion-MNIST on disk, and say where to get them.

The files are looked for, in order, in

1. the ``path`` argument (a folder),
2. ``$FASTMLP_DATA/<name>/``, then ``$FASTMLP_DATA/`` itself,
3. the cache, ``$XDG_CACHE_HOME/fastmlp/<name>/`` (default ``~/.cache/fastmlp/<name>/``),
4. the system folder (``/usr/share/datasets/<name>/``, where Debian's
   ``dataset-fashion-mnist`` puts Fashion-MNIST),

and the first folder holding all four wins. Nothing here downloads: when no folder holds
them, :mod:`fastmlp.data.mnist` downloads them into the cache and, failing that, raises the
error :func:`not_found_error` builds, which lists every place looked and how to get the files.
"""

from __future__ import annotations

import os
from pathlib import Path

from . import sources


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


def files_in(folder):
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
        found, missing = files_in(folder)
        if not missing:
            return found, looked + [(where, "found")]
        detail = "no dataset files" if not found else "missing " + ", ".join(missing)
        looked.append((where, detail))
    return None, looked


def not_found_error(name, looked, mirrors, download):
    """The :class:`DatasetNotFoundError` to raise for ``name``, after looking in ``looked``.

    Its message lists every place looked, then every way to get the files: the ``mirrors`` to
    download them from by hand and, when ``download`` is False, "pass download=True".
    """
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
