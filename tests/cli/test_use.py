"""``fastmlp evaluate`` and ``fastmlp predict`` (fastmlp.cli._use): model files and input widths."""

import os

import numpy as np
import pytest
from cli_run import assert_one_line_error, run

from fastmlp.data import load_digits


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


def records():
    return np.zeros(3, dtype=[("pixels", "f4", (64,))])


@pytest.mark.parametrize("make, what", [
    (lambda: np.array([["a"] * 64] * 3), "text (dtype <U1)"),
    (lambda: np.ones((3, 64), complex), "complex numbers (dtype <c16)"),
    (lambda: np.empty((3, 64), object), "Python objects (dtype |O)"),
    (records, "records (dtype |V256)"),
    (lambda: np.zeros((3, 64), "datetime64[s]"), "dates (dtype <M8[s])"),
])
def test_predict_on_a_non_numeric_npy_is_one_line(capsys, tmp_path, digits_model, make, what):
    np.save(tmp_path / "odd.npy", make(), allow_pickle=True)
    code, out, err = run(capsys, "predict", str(digits_model), str(tmp_path / "odd.npy"))
    assert code == 1
    assert_one_line_error(err, f"odd.npy holds {what}, not numbers; predict needs an array "
                               f"(n, 64) of floats or integer pixel values")
    assert out == ""


def test_predict_on_an_npy_claiming_more_than_it_holds(capsys, tmp_path, digits_model):
    path = tmp_path / "claim.npy"
    with open(path, "wb") as f:
        np.lib.format.write_array_header_1_0(
            f, {"descr": "<f8", "fortran_order": False, "shape": (10**9, 64)})
        f.write(bytes(64 * 8))
    code, _, err = run(capsys, "predict", str(digits_model), str(path))
    assert code == 1
    assert_one_line_error(err, "claim.npy is damaged: its header promises a float64 array of "
                               "shape (1000000000, 64) (512,000,000,000 bytes) but the file "
                               "holds 512")


def test_predict_on_a_truncated_npy_header(capsys, tmp_path, digits_model):
    np.save(tmp_path / "x.npy", np.zeros((3, 64)))
    (tmp_path / "cut.npy").write_bytes((tmp_path / "x.npy").read_bytes()[:20])
    code, _, err = run(capsys, "predict", str(digits_model), str(tmp_path / "cut.npy"))
    assert code == 1
    assert_one_line_error(err, "cut.npy is not a readable .npy file")


def test_predict_output_path_is_checked_before_anything_is_read(capsys, tmp_path):
    code, _, err = run(capsys, "predict", str(tmp_path / "no-model.npz"),
                       str(tmp_path / "no-input.npy"), "-o", str(tmp_path / "no" / "p.csv"))
    assert code == 1
    assert_one_line_error(err, f"--output {tmp_path / 'no' / 'p.csv'}: the folder "
                               f"{tmp_path / 'no'} does not exist")


@pytest.mark.parametrize("name", ["p.npy", "p.csv", "p.txt"])
def test_predict_output_replaces_a_file_atomically(capsys, tmp_path, digits_model, name):
    np.save(tmp_path / "x.npy", load_digits()[1][0][:5])
    target = tmp_path / name
    target.write_text("old predictions\n")
    code, _, err = run(capsys, "predict", str(digits_model), str(tmp_path / "x.npy"),
                       "-o", str(target))
    assert code == 0, err
    assert sorted(os.listdir(tmp_path)) == sorted(["x.npy", name])
    if name.endswith(".npy"):
        assert np.load(target).shape == (5,)
    else:
        assert len(target.read_text().split()) == (6 if name.endswith(".csv") else 5)


def test_model_path_that_is_a_fifo(capsys, tmp_path):
    os.mkfifo(tmp_path / "pipe.npz")
    code, _, err = run(capsys, "evaluate", str(tmp_path / "pipe.npz"), "--dataset", "digits")
    assert code == 1
    assert_one_line_error(err, "pipe.npz is not a regular file (a pipe or device?), not a "
                               "model file")


def test_input_path_that_is_a_fifo(capsys, tmp_path, digits_model):
    os.mkfifo(tmp_path / "pipe.npy")
    code, _, err = run(capsys, "predict", str(digits_model), str(tmp_path / "pipe.npy"))
    assert code == 1
    assert_one_line_error(err, "pipe.npy is not a regular file; give a .npy, .csv or IDX file")
