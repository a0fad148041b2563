"""Datasets and input files given by path (fastmlp.cli._data): Kaggle CSV, IDX folders and files."""

import re

import numpy as np
import pytest
from cli_run import assert_one_line_error, run

import fastmlp
from fastmlp.cli import main
from fastmlp.data import load_digits, write_idx


def test_train_on_a_kaggle_csv(capsys, tmp_path):
    X, y = load_digits(scaled=False, split=False)
    pixels = (X.astype(np.int64) * 255 // 16)
    header = "label," + ",".join(f"pixel{i}" for i in range(64))
    np.savetxt(tmp_path / "train.csv", np.column_stack([y, pixels]), fmt="%d",
               delimiter=",", header=header, comments="")
    code, out, err = run(capsys, "train", "--dataset", str(tmp_path / "train.csv"),
                         "--epochs", "3", "--no-progress")
    assert code == 0, err
    assert "1,455 train / 162 validation / 180 test, 64 features, 10 classes" in out


def test_train_and_predict_with_idx_files(capsys, tmp_path):
    (X, y), (X_test, y_test) = load_digits(scaled=False)
    for stem, array in (("train-images-idx3-ubyte", X.reshape(-1, 8, 8)),
                        ("train-labels-idx1-ubyte", y.astype(np.uint8)),
                        ("t10k-images-idx3-ubyte", X_test.reshape(-1, 8, 8)),
                        ("t10k-labels-idx1-ubyte", y_test.astype(np.uint8))):
        write_idx(tmp_path / stem, array.astype(np.uint8))
    model = tmp_path / "m.npz"
    code, out, err = run(capsys, "train", "--dataset", str(tmp_path), "--epochs", "3",
                         "--no-progress", "--save", str(model))
    assert code == 0, err
    assert "/ 360 test, 64 features" in out
    code, out, err = run(capsys, "predict", str(model), str(tmp_path / "t10k-images-idx3-ubyte"))
    assert code == 0, err
    assert len(out.split()) == 360


def test_predict_reports_accuracy_when_the_csv_has_labels(capsys, tmp_path, digits_model):
    (_, _), (X_test, y_test) = load_digits(scaled=False)
    np.savetxt(tmp_path / "test.csv", np.column_stack([y_test, X_test * 255 // 16]),
               fmt="%d", delimiter=",")
    code, out, err = run(capsys, "predict", str(digits_model), str(tmp_path / "test.csv"),
                         "-o", str(tmp_path / "p.npy"))
    assert code == 0, err
    assert np.load(tmp_path / "p.npy").shape == (360,)
    assert re.search(r"accuracy on the labels in .*test.csv: 0\.\d{4}", out)


@pytest.mark.parametrize("name", ["fashion-mnist", "mnist"])
def test_missing_dataset_says_what_to_do(capsys, no_datasets_on_disk, name):
    code, out, err = run(capsys, "train", "--dataset", name, "--no-download")
    assert code == 1
    assert_one_line_error(err, "not on this machine", "--dataset digits' works offline")
    if name == "fashion-mnist":
        assert "apt-get install dataset-fashion-mnist" in err


def test_missing_dataset_with_debug_shows_where_it_looked(capsys, no_datasets_on_disk):
    with pytest.raises(fastmlp.cli.CLIError) as info:
        main(["--debug", "train", "--dataset", "fashion-mnist", "--no-download"])
    assert "Looked in" in str(info.value.__cause__)


def test_wrong_csv_width(capsys, tmp_path, digits_model):
    np.savetxt(tmp_path / "odd.csv", np.zeros((2, 50)), fmt="%d", delimiter=",")
    code, _, err = run(capsys, "predict", str(digits_model), str(tmp_path / "odd.csv"))
    assert code == 1
    assert_one_line_error(err, "has 50 columns but the model takes 64 features")


def test_missing_input_file(capsys, tmp_path, digits_model):
    code, _, err = run(capsys, "predict", str(digits_model), str(tmp_path / "none.npy"))
    assert code == 1
    assert_one_line_error(err, "none.npy: no such file")
