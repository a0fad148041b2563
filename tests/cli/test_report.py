"""The ``--plot`` pictures (fastmlp.cli._report)."""

import os
import sys

import pytest
from cli_run import assert_one_line_error, run


def test_plot_writes_three_pictures(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    prefix = tmp_path / "run.png"
    code, out, err = run(capsys, "train", "--dataset", "digits", "--epochs", "2",
                         "--no-progress", "--plot", str(prefix))
    assert code == 0, err
    for kind in ("history", "confusion", "misclassified"):
        picture = tmp_path / f"run-{kind}.png"
        assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"wrote {picture}" in out


def test_plot_skips_the_image_grid_for_iris(capsys, tmp_path, digits_model):
    pytest.importorskip("matplotlib")
    code, out, _ = run(capsys, "train", "--dataset", "iris", "--epochs", "2",
                       "--no-progress", "--plot", str(tmp_path / "iris"))
    assert code == 0
    assert (tmp_path / "iris-confusion.png").is_file()
    assert not (tmp_path / "iris-misclassified.png").exists()
    assert "samples are not images" in out


def test_plot_without_matplotlib_fails_before_training(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    code, out, err = run(capsys, "train", "--dataset", "digits", "--plot", "x")
    assert code == 1
    assert_one_line_error(err, 'pip install "fastmlp[plot]"')
    assert "epoch" not in out


def test_plot_with_a_broken_matplotlib_fails_before_training(capsys, monkeypatch, tmp_path):
    """An installed matplotlib that raises on import (not ImportError) is one line, too."""
    fake = tmp_path / "broken" / "matplotlib"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text('raise RuntimeError("compiled against another NumPy")\n')
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.syspath_prepend(str(tmp_path / "broken"))
    code, out, err = run(capsys, "train", "--dataset", "digits", "--plot", str(tmp_path / "x"))
    assert code == 1
    assert_one_line_error(err, "--plot needs matplotlib, which is installed but fails to import "
                               "(RuntimeError: compiled against another NumPy); reinstall it")
    assert "epoch" not in out


def test_plot_path_is_checked_before_training(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    prefix = tmp_path / "missing" / "run"
    code, out, err = run(capsys, "train", "--dataset", "digits", "--plot", str(prefix))
    assert code == 1
    assert_one_line_error(err, f"--plot {prefix}-history.png: the folder {prefix.parent} does "
                               f"not exist")
    assert "epoch" not in out


def test_plot_onto_a_fifo_is_refused_before_training(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    os.mkfifo(tmp_path / "run-confusion.png")
    code, out, err = run(capsys, "train", "--dataset", "digits", "--plot",
                         str(tmp_path / "run"))
    assert code == 1
    assert_one_line_error(err, "run-confusion.png is a FIFO (named pipe), not a regular file")
    assert "epoch" not in out
