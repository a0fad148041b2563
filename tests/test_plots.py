"""Pictures: files are written, and the figures hold what they claim (panels, titles, cells)."""

import os
import stat
import sys

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from fastmlp import plots  # noqa: E402
from fastmlp.callbacks import History  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"


def _history(epochs=4, validation=True, accuracy=True):
    history = History()
    for epoch in range(epochs):
        logs = {"loss": 1.0 / (epoch + 1)}
        if accuracy:
            logs["accuracy"] = 0.5 + 0.1 * epoch
        if validation:
            logs["val_loss"] = 1.2 / (epoch + 1)
            if accuracy:
                logs["val_accuracy"] = 0.45 + 0.1 * epoch
        logs["seconds"] = 0.1
        history.on_epoch_end(None, epoch, logs)
    return history


def test_history_has_a_loss_and_an_accuracy_panel(tmp_path):
    path = tmp_path / "history.png"
    figure = plots.plot_history(_history(), path, title="run")
    assert path.read_bytes()[:8] == PNG
    assert [ax.get_title() for ax in figure.axes] == ["loss", "accuracy"]
    for ax in figure.axes:
        assert [line.get_label() for line in ax.get_lines()] == ["train", "validation"]
        assert list(ax.get_lines()[0].get_xdata()) == [1, 2, 3, 4]
    assert list(figure.axes[0].get_lines()[1].get_ydata()) == pytest.approx(
        [1.2, 0.6, 0.4, 0.3])
    assert figure.get_suptitle() == "run"


def test_history_of_a_continued_run_is_drawn_at_its_epoch_numbers():
    history = History()
    for epoch in (3, 4, 5):  # fit(..., initial_epoch=3)
        history.on_epoch_end(None, epoch, {"loss": 1.0 / epoch, "seconds": 0.1})
    figure = plots.plot_history(history)
    assert list(figure.axes[0].get_lines()[0].get_xdata()) == [4, 5, 6]
    # A bare dict has no epoch numbers: 1 on.
    figure = plots.plot_history(history.history)
    assert list(figure.axes[0].get_lines()[0].get_xdata()) == [1, 2, 3]


def test_history_of_a_regression_run_has_only_the_loss_panel(tmp_path):
    figure = plots.plot_history(_history(accuracy=False, validation=False).history,
                                tmp_path / "h.svg")
    assert (tmp_path / "h.svg").read_text().lstrip().startswith("<?xml")
    assert [ax.get_title() for ax in figure.axes] == ["loss"]
    assert [line.get_label() for line in figure.axes[0].get_lines()] == ["train"]


def test_history_needs_at_least_one_epoch():
    with pytest.raises(ValueError, match="at least one epoch"):
        plots.plot_history(History())


def test_history_plot_method_draws_the_same(tmp_path):
    figure = _history().plot(tmp_path / "h.png")
    assert (tmp_path / "h.png").stat().st_size > 1000
    assert len(figure.axes) == 2


def test_confusion_matrix_counts():
    counts = plots.confusion_matrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 2, 0])
    assert counts.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]


def test_confusion_matrix_plot_shows_counts_and_names(tmp_path):
    y_true = np.array([0, 0, 1, 2, 2, 2])
    y_pred = np.array([0, 1, 1, 2, 2, 0])
    path = tmp_path / "confusion.png"
    figure = plots.plot_confusion_matrix(y_true, y_pred, labels=["cat", "dog", "eel"],
                                         path=path)
    assert path.read_bytes()[:8] == PNG
    ax = figure.axes[0]  # the matrix; the colour bar is the second axes
    assert len(figure.axes) == 2
    assert ax.get_title() == "confusion matrix (accuracy 0.6667)"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("predicted", "true")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["cat", "dog", "eel"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["cat", "dog", "eel"]
    # Rows are true classes: the cell at row 2 (eel), column 0 (cat) holds 1.
    np.testing.assert_array_equal(ax.images[0].get_array(), [[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    assert [t.get_text() for t in ax.texts] == ["1", "1", "0", "0", "1", "0", "1", "0", "2"]


def test_confusion_matrix_has_a_row_for_every_named_class(tmp_path):
    figure = plots.plot_confusion_matrix([0, 1], [0, 0], labels="abcd", path=tmp_path / "c.png")
    assert figure.axes[0].images[0].get_array().shape == (4, 4)


def test_normalized_confusion_matrix_rows_sum_to_one(tmp_path):
    figure = plots.plot_confusion_matrix([0, 0, 0, 1], [0, 0, 1, 1], normalize=True,
                                         path=tmp_path / "c.png")
    np.testing.assert_allclose(figure.axes[0].images[0].get_array(), [[2 / 3, 1 / 3], [0, 1]])


def test_confusion_matrix_rejects_labels_without_names():
    with pytest.raises(ValueError, match=r"label 2 is outside \[0, 2\)"):
        plots.confusion_matrix([0, 1, 2], [0, 1, 1], n_classes=2)
    with pytest.raises(ValueError, match="2 names but the data has 3 classes"):
        plots.plot_confusion_matrix([0, 1, 2], [0, 1, 1], labels=["a", "b"], path=None)


def test_misclassified_grid_shows_the_wrong_ones_upright(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.random((40, 12))  # 3 high, 4 wide: a transposed image would not fit
    y_true = np.arange(40) % 4
    y_pred = y_true.copy()
    wrong = [3, 10, 11, 25, 39]
    y_pred[wrong] = (y_pred[wrong] + 1) % 4
    path = tmp_path / "mis.png"
    figure = plots.plot_misclassified(X, y_true, y_pred, image_shape=(3, 4),
                                      labels=["a", "b", "c", "d"], n=4, path=path)
    assert path.read_bytes()[:8] == PNG
    images = [ax for ax in figure.axes if ax.images]
    assert len(images) == 4  # n caps the grid
    assert len(figure.axes) == 4  # 2 x 2
    for ax, index in zip(images, wrong):
        np.testing.assert_array_equal(ax.images[0].get_array(), X[index].reshape(3, 4))
        assert ax.get_title() == f"true: {'abcd'[y_true[index]]}\npred: {'abcd'[y_pred[index]]}"
    assert figure.get_suptitle() == "5 of 40 misclassified (first 4 shown)"


def test_misclassified_grid_hides_unused_cells(tmp_path):
    X = np.zeros((6, 4))
    figure = plots.plot_misclassified(X, [0, 1, 0, 1, 0, 1], [1, 0, 1, 0, 0, 1],
                                      image_shape=(2, 2), path=tmp_path / "m.png")
    assert len(figure.axes) == 4  # 2 x 2 for 4 images
    assert all(ax.images for ax in figure.axes)
    figure = plots.plot_misclassified(X, [0, 1, 0, 1, 0, 1], [1, 0, 1, 0, 1, 1],
                                      image_shape=(2, 2), path=tmp_path / "m.png")
    assert len(figure.axes) == 6  # 3 x 2 for 5 images, one left blank
    assert sum(bool(ax.images) for ax in figure.axes) == 5
    assert sum(not ax.axison for ax in figure.axes) == 1


def test_misclassified_grid_with_nothing_wrong_says_so(tmp_path):
    figure = plots.plot_misclassified(np.ones((3, 4)), [0, 1, 2], [0, 1, 2],
                                      image_shape=(2, 2), path=tmp_path / "none.png")
    assert (tmp_path / "none.png").stat().st_size > 0
    assert figure.axes[0].texts[0].get_text() == "no misclassified samples among 3"


def test_misclassified_grid_checks_the_image_shape():
    with pytest.raises(ValueError, match=r"shape \(n_samples, 784\)"):
        plots.plot_misclassified(np.zeros((2, 64)), [0, 1], [1, 0])


def test_without_a_path_the_figure_belongs_to_pyplot():
    import matplotlib.pyplot as plt

    figure = plots.plot_history(_history())
    try:
        assert plt.fignum_exists(figure.number)
    finally:
        plt.close(figure)


def test_missing_matplotlib_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r'pip install "fastmlp\[plot\]"'):
        plots.plot_history(_history(), "x.png")


def broken_matplotlib(monkeypatch, tmp_path):
    """Make ``import matplotlib`` run a package that fails as a broken installation does."""
    fake = tmp_path / "broken" / "matplotlib"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text('raise RuntimeError("compiled against another NumPy")\n')
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.syspath_prepend(str(tmp_path / "broken"))


def test_broken_matplotlib_says_how_to_repair_it(monkeypatch, tmp_path):
    broken_matplotlib(monkeypatch, tmp_path)
    with pytest.raises(ImportError, match=r"installed but fails to import \(RuntimeError: "
                                          r"compiled against another NumPy\); reinstall it"):
        plots.plot_history(_history(), tmp_path / "h.png")
    assert not (tmp_path / "h.png").exists()


def test_saving_is_atomic_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "h.png"
    plots.plot_history(_history(), path)
    before = path.read_bytes()

    def disk_full(self, *args, **kwargs):
        raise OSError(28, "No space left on device")

    from matplotlib.figure import Figure

    monkeypatch.setattr(Figure, "savefig", disk_full)
    with pytest.raises(OSError, match="No space left on device") as info:
        plots.plot_history(_history(epochs=2), path)
    assert info.value.filename == str(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["h.png"]


def test_a_path_without_extension_gets_the_default_format(tmp_path):
    plots.plot_history(_history(), tmp_path / "curves")
    assert (tmp_path / "curves.png").read_bytes()[:8] == PNG
    assert [p.name for p in tmp_path.iterdir()] == ["curves.png"]


def test_an_unknown_extension_is_refused_before_writing(tmp_path):
    with pytest.raises(ValueError, match=r"cannot save a figure as \.docx .*use one of .*\.png"):
        plots.plot_history(_history(), tmp_path / "curves.docx")
    assert list(tmp_path.iterdir()) == []


def test_a_fifo_is_never_replaced_by_a_picture(tmp_path):
    fifo = tmp_path / "h.png"
    os.mkfifo(fifo)
    with pytest.raises(OSError, match=r"h\.png is a FIFO \(named pipe\), not a regular file"):
        plots.plot_history(_history(), fifo)
    assert stat.S_ISFIFO(fifo.stat().st_mode)
