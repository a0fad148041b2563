"""What the commands print and draw: aligned tables and the ``--plot`` pictures."""

from __future__ import annotations

import os

from ._errors import CLIError

_EXTENSIONS = (".png", ".pdf", ".svg", ".jpg", ".jpeg")


def table(rows, out):
    """Print ``(name, value)`` rows as two aligned columns."""
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}", file=out)


def require_matplotlib():
    """Fail before any work is done when ``--plot`` cannot be honoured."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise CLIError('--plot needs matplotlib, which is not installed; install it with '
                       'pip install "fastmlp[plot]" (or drop --plot)') from None


def check_folder(path, flag):
    """Raise CLIError unless the folder ``path`` is to be written in exists."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise CLIError(f"{flag} {path}: the folder {folder} does not exist")


def plot_paths(prefix, kinds):
    """``{kind: path}`` for ``--plot PREFIX``; ``curves.png`` is taken as prefix ``curves``."""
    root, ext = os.path.splitext(prefix)
    if ext.lower() not in _EXTENSIONS:
        root, ext = prefix, ".png"
    check_folder(root, "--plot")
    return {kind: f"{root}-{kind}{ext}" for kind in kinds}


def draw(prefix, dataset, y_pred, out, history=None):
    """Write the learning curves (when ``history``), confusion matrix and misclassified grid."""
    from .. import plots

    kinds = (["history"] if history is not None else []) + ["confusion", "misclassified"]
    paths = plot_paths(prefix, kinds)
    written = []
    if history is not None:
        plots.plot_history(history, paths["history"], title=f"{dataset.title}: training")
        written.append(paths["history"])
    labels = dataset.labels if dataset.labels is not None and \
        len(dataset.labels) >= dataset.n_classes else None
    plots.plot_confusion_matrix(dataset.y_test, y_pred, labels=labels,
                                path=paths["confusion"])
    written.append(paths["confusion"])
    if dataset.image_shape is not None:
        plots.plot_misclassified(dataset.X_test, dataset.y_test, y_pred,
                                 image_shape=dataset.image_shape, labels=labels,
                                 path=paths["misclassified"])
        written.append(paths["misclassified"])
    else:
        print(f"(no misclassified grid: {dataset.title} samples are not images)", file=out)
    for path in written:
        print(f"wrote {path}", file=out)
