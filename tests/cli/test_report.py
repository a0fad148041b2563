"""The ``--plot`` pictures (fastmlp.cli._report)."""

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
