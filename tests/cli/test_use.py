"""``fastmlp evaluate`` and ``fastmlp predict`` (fastmlp.cli._use): model files and input widths."""

import numpy as np
from cli_run import assert_one_line_error, run


def test_damaged_model_file(capsys, tmp_path):
    bad = tmp_path / "model.npz"
    bad.write_bytes(b"this is no model")
    code, _, err = run(capsys, "evaluate", str(bad), "--dataset", "digits")
    assert code == 1
    assert_one_line_error(err, "is not a readable fastmlp model file")


def test_truncated_model_file(capsys, tmp_path, digits_model):
    cut = tmp_path / "cut.npz"
    cut.write_bytes(digits_model.read_bytes()[:300])
    code, _, err = run(capsys, "predict", str(cut), str(cut))
    assert code == 1
    assert_one_line_error(err, str(cut))


def test_missing_model_file(capsys, tmp_path):
    code, _, err = run(capsys, "evaluate", str(tmp_path / "nope.npz"), "--dataset", "digits")
    assert code == 1
    assert_one_line_error(err, "no such model file")


def test_wrong_input_width(capsys, tmp_path, digits_model):
    np.save(tmp_path / "wide.npy", np.zeros((3, 784), dtype=np.float32))
    code, _, err = run(capsys, "predict", str(digits_model), str(tmp_path / "wide.npy"))
    assert code == 1
    assert_one_line_error(err, "wrong input width", "takes 64 features", "has 784")

    code, _, err = run(capsys, "evaluate", str(digits_model), "--dataset", "iris")
    assert code == 1
    assert_one_line_error(err, "wrong input width", "has 4")
