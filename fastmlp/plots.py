"""Pictures of a training run: learning curves, a confusion matrix, misclassified images.

matplotlib is optional (``pip install "fastmlp[plot]"``) and imported only when a function
here is called. With ``path`` given, the figure is built on matplotlib's Agg canvas without
touching pyplot, so saving works on a headless machine whatever backend is configured and
leaves no figure open. Without ``path``, the figure comes from pyplot, so ``plt.show()`` and
notebooks display it as usual.
"""

from __future__ import annotations

import math
import os

import numpy as np

from ._atomic import atomic_write

_MISSING = ("plotting needs matplotlib, which is not installed; install it with "
            "pip install \"fastmlp[plot]\" (or pip install matplotlib)")


def _new_figure(path, figsize):
    """A Figure on the Agg canvas when it is only to be saved, else a pyplot figure."""
    try:
        import matplotlib
    except ImportError as err:
        if getattr(err, "name", None) == "matplotlib":
            raise ImportError(_MISSING) from None
        raise ImportError(_broken(err)) from err
    except Exception as err:  # a broken installation can raise anything on import
        raise ImportError(_broken(err)) from err
    if path is not None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        figure = Figure(figsize=figsize, layout="constrained")
        FigureCanvasAgg(figure)
        return figure
    import matplotlib.pyplot as plt

    del matplotlib
    return plt.figure(figsize=figsize, layout="constrained")


def _broken(err):
    return (f"plotting needs matplotlib, which is installed but fails to import "
            f"({type(err).__name__}: {err}); reinstall it with pip install --force-reinstall "
            f"matplotlib")


def _finish(figure, path):
    """Save ``figure`` to ``path`` atomically (the format from its extension, default png)."""
    if path is not None:
        path = os.fspath(path)
        fmt = os.path.splitext(path)[1][1:].lower()
        if not fmt:  # as matplotlib does: the default format, its extension appended
            import matplotlib

            fmt = matplotlib.rcParams["savefig.format"]
            path = f"{path}.{fmt}"
        supported = figure.canvas.get_supported_filetypes()
        if fmt not in supported:
            raise ValueError(f"cannot save a figure as .{fmt} ({path}); use one of "
                             f"{', '.join('.' + ext for ext in sorted(supported))}")
        with atomic_write(path, "plot") as f:
            figure.savefig(f, format=fmt, dpi=110)
    return figure


# --------------------------------------------------------------------------- learning curves


def plot_history(history, path=None, *, title=None, figsize=None):
    """Loss and accuracy per epoch, training vs validation, side by side.

    Parameters
    ----------
    history : History or dict
        What ``fit`` returns, or its ``.history`` dict mapping ``"loss"``, ``"accuracy"``,
        ``"val_loss"``, ``"val_accuracy"`` to one value per epoch. Only ``"loss"`` is
        required; the accuracy panel appears when ``"accuracy"`` is there (classifiers).
    path : str or path-like, optional
        Save the figure there (the extension picks the format: .png, .pdf, .svg...).
    title : str, optional
        A title above both panels.
    figsize : (float, float), optional
        Inches; default 5 wide per panel by 3.8 high.

    Returns
    -------
    matplotlib.figure.Figure
        One axes per panel, titled "loss" and "accuracy".
    """
    logs = getattr(history, "history", history)
    # A History knows its epochs' numbers: a run continued with initial_epoch=3 starts at 4.
    numbers = getattr(history, "epoch", None)
    if not isinstance(logs, dict) or not logs.get("loss"):
        raise ValueError("plot_history needs a History (what fit returns) or a dict with a "
                         "non-empty 'loss' list; was the model trained for at least one epoch?")
    panels = ["loss"] + (["accuracy"] if logs.get("accuracy") else [])
    figure = _new_figure(path, figsize or (5.0 * len(panels), 3.8))
    axes = figure.subplots(1, len(panels), squeeze=False)[0]
    for ax, key in zip(axes, panels):
        for name, label, style in ((key, "train", "-o"), (f"val_{key}", "validation", "-s")):
            values = logs.get(name)
            if values:
                epochs = (np.asarray(numbers) + 1 if numbers is not None
                          and len(numbers) == len(values) else np.arange(1, len(values) + 1))
                ax.plot(epochs, values, style, markersize=3, label=label)
        ax.set_title(key)
        ax.set_xlabel("epoch")
        ax.set_ylabel(key)
        # Epochs are whole numbers: never label 2.5.
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        figure.suptitle(title)
    return _finish(figure, path)


# --------------------------------------------------------------------------- confusion matrix


def confusion_matrix(y_true, y_pred, n_classes=None):
    """Counts ``C[i, j]`` of samples of true class ``i`` predicted as class ``j``.

    Parameters
    ----------
    y_true, y_pred : array-like of int, shape (n,)
    n_classes : int, optional
        Default: one more than the largest label in either array.

    Returns
    -------
    numpy.ndarray of int64, shape (n_classes, n_classes)
    """
    y_true, y_pred = _labels(y_true, "y_true"), _labels(y_pred, "y_pred")
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true has {len(y_true)} labels but y_pred has {len(y_pred)}")
    largest = int(max(y_true.max(initial=-1), y_pred.max(initial=-1)))
    if n_classes is None:
        n_classes = largest + 1
    elif largest >= n_classes:
        raise ValueError(f"label {largest} is outside [0, {n_classes}); pass a larger "
                         f"n_classes")
    counts = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(counts, (y_true, y_pred), 1)
    return counts


def _labels(y, name):
    y = np.asarray(y)
    if y.ndim != 1 or (y.size and not np.issubdtype(y.dtype, np.integer)):
        raise ValueError(f"{name} must be a 1-D array of integer class labels, got "
                         f"{y.dtype} of shape {y.shape}")
    if y.size and y.min() < 0:
        raise ValueError(f"{name} holds the negative label {y.min()}; labels start at 0")
    return y.astype(np.int64)


def _label_names(labels, n_classes):
    if labels is None:
        return [str(i) for i in range(n_classes)]
    names = [str(label) for label in labels]
    if len(names) < n_classes:
        raise ValueError(f"labels has {len(names)} names but the data has {n_classes} "
                         f"classes; pass one name per class")
    return names


def plot_confusion_matrix(y_true, y_pred, labels=None, path=None, *, normalize=False,
                          title=None, figsize=None):
    """A confusion matrix: true class down the rows, predicted class across the columns.

    Parameters
    ----------
    y_true, y_pred : array-like of int, shape (n,)
    labels : sequence of str, optional
        Class names, indexed by label; default the label numbers.
    path : str or path-like, optional
        Save the figure there.
    normalize : bool, default False
        Show each row as fractions of its true class (the diagonal is per-class recall)
        instead of counts.
    title : str, optional
        Default: "confusion matrix (accuracy 0.xxxx)".
    figsize : (float, float), optional

    Returns
    -------
    matplotlib.figure.Figure
        One axes holding the matrix, plus its colour bar.
    """
    counts = confusion_matrix(y_true, y_pred)
    names = _label_names(labels, len(counts))
    n = len(names)  # classes named but absent from both arrays still get a row and column
    counts = np.pad(counts, (0, n - len(counts)))
    total = counts.sum()
    accuracy = np.trace(counts) / total if total else float("nan")
    shown = counts.astype(np.float64)
    if normalize:
        shown /= np.maximum(counts.sum(axis=1, keepdims=True), 1)
    side = max(4.5, 0.55 * n + 2.5)
    figure = _new_figure(path, figsize or (side + 1.0, side))
    ax = figure.subplots()
    image = ax.imshow(shown, cmap="Blues", vmin=0)
    figure.colorbar(image, ax=ax, shrink=0.8, label="fraction of true class" if normalize
                    else "samples")
    ax.set_xticks(range(n), names, rotation=45 if max(map(len, names)) > 2 else 0,
                  ha="right" if max(map(len, names)) > 2 else "center",
                  rotation_mode="anchor")
    ax.set_yticks(range(n), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title or f"confusion matrix (accuracy {accuracy:.4f})")
    if n <= 30:  # beyond that the numbers would not fit in their cells
        threshold = shown.max() / 2 if shown.size else 0
        size = 9 if n <= 12 else 7
        for i in range(n):
            for j in range(n):
                text = f"{shown[i, j]:.2f}" if normalize else str(counts[i, j])
                ax.text(j, i, text, ha="center", va="center", fontsize=size,
                        color="white" if shown[i, j] > threshold else "black")
    return _finish(figure, path)


# --------------------------------------------------------------------------- misclassified


def plot_misclassified(X, y_true, y_pred, image_shape=(28, 28), labels=None, n=25, path=None,
                       *, title=None, figsize=None):
    """A grid of the first ``n`` misclassified samples, shown as images.

    Parameters
    ----------
    X : array-like, shape (n_samples, n_features)
        One flattened image per row (row-major, as the dataset loaders return them);
        ``n_features`` must equal the product of ``image_shape``.
    y_true, y_pred : array-like of int, shape (n_samples,)
    image_shape : (int, int), default (28, 28)
        Height and width of one image.
    labels : sequence of str, optional
        Class names, indexed by label; default the label numbers.
    n : int, default 25
        At most this many images, in sample order, on a near-square grid.
    path : str or path-like, optional
        Save the figure there.
    title : str, optional
        Default: "k of m misclassified (first j shown)".
    figsize : (float, float), optional

    Returns
    -------
    matplotlib.figure.Figure
        One axes per image shown, each titled "true: <name>" / "pred: <name>"; a single
        axes with a note when nothing is misclassified.
    """
    X = np.asarray(X)
    y_true, y_pred = _labels(y_true, "y_true"), _labels(y_pred, "y_pred")
    height, width = (int(s) for s in image_shape)
    if X.ndim != 2 or X.shape[1] != height * width:
        raise ValueError(f"X must have shape (n_samples, {height * width}) for images of "
                         f"{height}x{width}, got {X.shape}; pass image_shape=(h, w)")
    if not len(X) == len(y_true) == len(y_pred):
        raise ValueError(f"X, y_true and y_pred must have the same length, got {len(X)}, "
                         f"{len(y_true)} and {len(y_pred)}")
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    wrong = np.flatnonzero(y_true != y_pred)
    shown = wrong[:n]
    n_classes = int(max(y_true.max(initial=-1), y_pred.max(initial=-1))) + 1
    names = _label_names(labels, n_classes)
    cols = max(1, math.ceil(math.sqrt(len(shown))))
    rows = max(1, math.ceil(len(shown) / cols))
    # Room for two lines of title above every image.
    figure = _new_figure(path, figsize or (1.75 * cols + 0.3, 2.05 * rows + 0.5))
    if not len(shown):
        ax = figure.subplots()
        ax.axis("off")
        ax.text(0.5, 0.5, f"no misclassified samples among {len(X):,}", ha="center",
                va="center")
        return _finish(figure, path)
    axes = figure.subplots(rows, cols, squeeze=False).ravel()
    for ax, index in zip(axes, shown):
        # Rows are row-major images, so a plain reshape puts row 0 at the top (imshow's
        # default origin), the way the pictures were taken.
        ax.imshow(X[index].reshape(height, width), cmap="gray_r", interpolation="nearest")
        ax.set_title(f"true: {names[y_true[index]]}\npred: {names[y_pred[index]]}",
                     fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    for ax in axes[len(shown):]:
        ax.axis("off")
    figure.suptitle(title or f"{len(wrong):,} of {len(X):,} misclassified "
                    f"(first {len(shown)} shown)")
    return _finish(figure, path)
