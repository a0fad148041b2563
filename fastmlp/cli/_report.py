"""What the commands print and draw: aligned tables and the ``--plot`` pictures."""

from __future__ import annotations

import os

from .._atomic import check_writable
from ._errors import CLIError

_EXTENSIONS = (".png", ".pdf", ".svg", ".jpg", ".jpeg")


def table(rows, out):
    """Print ``(name, value)`` rows as two aligned columns."""
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}", file=out)


def require_matplotlib():
    """Fail before any work is done when ``--plot`` cannot be honoured.

    Imports what drawing will import: a matplotlib that is missing, or installed but broken
    (a failing compiled extension, a version clash), is reported in one line now rather than
    as a traceback after training.
    """
    try:
        import matplotlib  # noqa: F401
        from matplotlib.backends import backend_agg  # noqa: F401
        from matplotlib.figure import Figure  # noqa: F401
    except ImportError as err:
        if getattr(err, "name", None) == "matplotlib":
            raise CLIError('--plot needs matplotlib, which is not installed; install it with '
                           'pip install "fastmlp[plot]" (or drop --plot)') from None
        raise CLIError(_broken_matplotlib(err)) from None
    except Exception as err:  # whatever a broken installation raises on import
        raise CLIError(_broken_matplotlib(err)) from None


def _broken_matplotlib(err):
    return (f"--plot needs matplotlib, which is installed but fails to import "
            f"({type(err).__name__}: {err}); reinstall it with pip install --force-reinstall "
            f'"fastmlp[plot]" (or drop --plot)')


def check_output(path, flag, what="file"):
    """Raise CLIError unless ``path`` can be written (checked before any long work)."""
    if not path:
        raise CLIError(f"{flag} needs a file name")
    try:
        check_writable(path, what)
    except OSError as err:
        raise CLIError(output_error(err, path, flag)) from None


def output_error(err, path, flag):
    """One line for an OSError about writing ``path``, given by ``flag``."""
    if err.errno is None or not err.strerror:
        return f"{flag}: {err}"  # the message names the path already
    if isinstance(err, FileNotFoundError):
        return f"{flag} {path}: the folder {os.path.dirname(os.path.abspath(path))} does not exist"
    return f"{flag} {path}: {err.strerror[0].lower()}{err.strerror[1:]}"


PLOT_KINDS = ("history", "confusion", "misclassified")


def plot_paths(prefix, kinds=PLOT_KINDS):
    """``{kind: path}`` for ``--plot PREFIX``; ``curves.png`` is taken as prefix ``curves``."""
    root, ext = os.path.splitext(prefix)
    if ext.lower() not in _EXTENSIONS:
        root, ext = prefix, ".png"
    return {kind: f"{root}-{kind}{ext}" for kind in kinds}


def check_plots(prefix):
    """Fail now if ``--plot PREFIX`` could not be drawn or written after the work is done."""
    require_matplotlib()
    for path in plot_paths(prefix).values():
        check_output(path, "--plot", "plot")


def draw(prefix, dataset, y_pred, out, history=None):
    """Write the learning curves (when ``history``), confusion matrix and misclassified grid."""
    from .. import plots

    paths = plot_paths(prefix)
    labels = dataset.labels if dataset.labels is not None and \
        len(dataset.labels) >= dataset.n_classes else None
    pictures = []
    if history is not None:
        pictures.append((plots.plot_history, (history,),
                         {"title": f"{dataset.title}: training"}, paths["history"]))
    pictures.append((plots.plot_confusion_matrix, (dataset.y_test, y_pred), {"labels": labels},
                     paths["confusion"]))
    if dataset.image_shape is not None:
        pictures.append((plots.plot_misclassified, (dataset.X_test, dataset.y_test, y_pred),
                         {"image_shape": dataset.image_shape, "labels": labels},
                         paths["misclassified"]))
    else:
        print(f"(no misclassified grid: {dataset.title} samples are not images)", file=out)
    for plot, args, kwargs, path in pictures:
        try:
            plot(*args, path=path, **kwargs)
        except OSError as err:
            raise CLIError(output_error(err, path, "--plot")) from None
        print(f"wrote {path}", file=out)
