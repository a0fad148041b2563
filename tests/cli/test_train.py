"""``fastmlp train`` (fastmlp.cli._train): end to end on shipped data, checks before training."""

import argparse
import errno
import os
import re
import types

import numpy as np
import pytest
from cli_run import accuracy, assert_one_line_error, run

import fastmlp
from fastmlp.cli import _memory as cli_memory
from fastmlp.cli import _train as cli_train
from fastmlp.cli._errors import UsageError
from fastmlp.data import load_digits, locate


def test_components_project_the_features_and_the_saved_model_takes_them_raw(capsys,
                                                                            tmp_path):
    model_path = tmp_path / "projected.npz"
    code, out, err = run(capsys, "train", "--dataset", "digits", "--components", "20",
                         "--epochs", "8", "--no-progress", "--save", str(model_path))
    assert code == 0, err
    assert ("network   64-20-64-10 relu, first layer the fixed projection onto 20 principal "
            "components (1,994 parameters trained)") in out
    # The held-out rows go through the same projection: validation is reported as usual.
    assert len(re.findall(r"^epoch \d+/8 .*val_accuracy", out, re.MULTILINE)) == 8
    trained = accuracy(out)
    assert trained > 0.8
    model = fastmlp.load(model_path)
    assert (model.n_inputs, model.layers[0].n_out, model.count_params()) == (64, 20, 3294)
    code, out, err = run(capsys, "evaluate", str(model_path), "--dataset", "digits")
    assert code == 0, err
    assert accuracy(out) == trained


def test_more_components_than_features_is_refused_before_training(capsys):
    code, out, err = run(capsys, "train", "--dataset", "digits", "--components", "65")
    assert code == 2 and out == ""
    assert ("--components 65: digits (8x8, shipped) has only 64 features; give at most 64 (or 0 "
            "to train on the features themselves)") in err


def test_a_dataset_too_wide_for_a_projection_is_refused_before_training():
    wide = types.SimpleNamespace(title="wide.csv", n_features=12_000)
    recipe = cli_train.recipe_for("other", argparse.Namespace(components=16))
    with pytest.raises(UsageError, match="--components: wide.csv has 12,000 features; a "
                                         "projection takes at most 10,000"):
        cli_train._check_components(recipe, wide)


def test_digits_train_save_evaluate_predict(capsys, tmp_path):
    model_path = tmp_path / "digits.npz"
    code, out, err = run(capsys, "train", "--dataset", "digits", "--epochs", "5",
                         "--no-progress", "--save", str(model_path))
    assert code == 0, err
    assert "network   64-64-10 relu" in out
    assert len(re.findall(r"^epoch \d+/5 .*val_accuracy", out, re.MULTILINE)) == 5
    trained = accuracy(out)
    assert trained > 0.8
    assert re.search(r"^samples/s\s+[0-9,]+$", out, re.MULTILINE)
    assert model_path.is_file()

    code, out, err = run(capsys, "evaluate", str(model_path), "--dataset", "digits")
    assert code == 0, err
    # evaluate sees the very test samples train held out, so the numbers agree.
    assert accuracy(out) == trained

    (_, _), (X_test, y_test) = load_digits()
    np.save(tmp_path / "samples.npy", X_test[:7])
    code, out, err = run(capsys, "predict", str(model_path), str(tmp_path / "samples.npy"))
    assert code == 0, err
    printed = [int(line) for line in out.split()]
    assert printed == fastmlp.load(model_path).predict(X_test[:7]).tolist()

    code, out, _ = run(capsys, "predict", str(model_path), str(tmp_path / "samples.npy"),
                       "--output", str(tmp_path / "pred.csv"))
    assert code == 0
    lines = (tmp_path / "pred.csv").read_text().split()
    assert lines[0] == "ImageId,Label"
    assert lines[1:] == [f"{i},{p}" for i, p in enumerate(printed, start=1)]


def test_layers_may_omit_or_include_the_data_widths(capsys):
    for layers in ("32", "64,32,10"):
        code, out, _ = run(capsys, "train", "--dataset", "digits", "--layers", layers,
                           "--epochs", "1", "--no-progress", "--validation-split", "0")
        assert code == 0
        assert "network   64-32-10 relu (2,410 parameters)" in out
        assert "val_loss" not in out


def test_every_optimizer_and_schedule_trains(capsys):
    for extra in (["--optimizer", "sgd", "--schedule", "step", "--lr", "0.1"],
                  ["--optimizer", "rmsprop", "--schedule", "exponential", "--gamma", "0.8"],
                  ["--optimizer", "adamw", "--schedule", "none", "--weight-decay", "0.01"],
                  ["--dropout", "0.2", "--activation", "tanh", "--backend", "numpy"]):
        code, out, err = run(capsys, "train", "--dataset", "iris", "--epochs", "3",
                             "--no-progress", *extra)
        assert code == 0, (extra, err)
        assert "test accuracy" in out


def test_warmup_cosine_schedule_trains_and_is_saved_with_its_warmup(capsys, tmp_path):
    path = tmp_path / "iris.npz"
    code, out, err = run(capsys, "train", "--dataset", "iris", "--epochs", "4", "--no-progress",
                         "--schedule", "warmup-cosine", "--warmup", "2", "--lr", "0.03",
                         "--save", str(path))
    assert code == 0, err
    assert "adam lr 0.03 (warmup-cosine schedule)" in out
    assert repr(fastmlp.load(path).optimizer.lr) == ("WarmupCosineDecay(lr=0.03, epochs=4, "
                                                     "warmup=2, lr_min=0.0)")


def test_save_into_a_missing_folder_fails_before_training(capsys, tmp_path):
    code, out, err = run(capsys, "train", "--dataset", "digits",
                         "--save", str(tmp_path / "no" / "m.npz"))
    assert code == 1
    assert_one_line_error(err, "does not exist")
    assert "epoch" not in out


@pytest.mark.slow
def test_fashion_mnist_one_epoch_of_784_128_10_reaches_80_percent(capsys):
    if locate("fashion-mnist")[0] is None:
        pytest.skip("Fashion-MNIST is not on this machine (apt-get install "
                    "dataset-fashion-mnist, or put it in $FASTMLP_DATA/fashion-mnist/)")
    code, out, err = run(capsys, "train", "--dataset", "fashion-mnist", "--recipe", "pixels",
                         "--layers", "128",
                         "--optimizer", "adam", "--weight-decay", "0", "--epochs", "1",
                         "--validation-split", "0", "--no-download", "--no-progress")
    assert code == 0, err
    assert "network   784-128-10 relu" in out
    assert accuracy(out) >= 0.80


@pytest.mark.slow
def test_fashion_mnist_fast_recipe_trains_on_components_and_saves_a_whole_model(capsys,
                                                                               tmp_path):
    if locate("fashion-mnist")[0] is None:
        pytest.skip("Fashion-MNIST is not on this machine (apt-get install "
                    "dataset-fashion-mnist, or put it in $FASTMLP_DATA/fashion-mnist/)")
    path = tmp_path / "fast.npz"
    code, out, err = run(capsys, "train", "--dataset", "fashion-mnist", "--recipe", "fast",
                         "--epochs", "2", "--no-download", "--no-progress", "--save", str(path))
    assert code == 0, err
    assert ("network   784-160-384-128-10 relu, dropout 0.1, first layer the fixed projection "
            "onto 160 principal components (112,394 parameters trained)") in out
    # Two of the recipe's twelve epochs already pass 0.85 (0.87 measured).
    assert accuracy(out) >= 0.85
    model = fastmlp.load(path)
    assert (model.n_inputs, model.layers[0].n_out) == (784, 160)
    code, again, err = run(capsys, "evaluate", str(path), "--dataset", "fashion-mnist",
                           "--no-download")
    assert code == 0, err
    assert accuracy(again) == accuracy(out)


def test_network_too_large_for_the_memory_is_refused_before_allocating(capsys, monkeypatch):
    monkeypatch.setattr(cli_memory, "available_memory", lambda: 8 * 10**9)
    code, out, err = run(capsys, "train", "--dataset", "digits", "--layers", "100000,100000")
    assert code == 1
    assert_one_line_error(err, "the 64-100000-100000-10 network has 10,007,600,010 parameters; "
                               "training it takes about 240.2 GB (weights, gradients and adam "
                               "state in float32), but this machine has 8.0 GB available; "
                               "choose smaller --layers")
    assert "epoch" not in out


def test_memory_error_while_building_the_network_is_one_line(capsys, monkeypatch):
    def no_memory(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(cli_memory, "available_memory", lambda: None)  # the check cannot tell
    monkeypatch.setattr(cli_train, "MLP", no_memory)
    code, out, err = run(capsys, "train", "--dataset", "digits", "--layers", "20000,20000",
                         "--dtype", "float64")
    assert code == 1
    assert_one_line_error(err, "the 64-20000-20000-10 network has 401,520,010 parameters; "
                               "training it takes about 16.1 GB (weights, gradients and adam "
                               "state in float64), but this machine ran out of memory")
    assert "epoch" not in out


def test_memory_estimate_counts_every_array_per_parameter():
    sizes = [784, 128, 10]
    params = 785 * 128 + 129 * 10
    extra = 784 * 128 * 8 + 4 * 32 * sum(sizes) * 4  # float64 init draw, batch activations
    assert cli_memory.memory_needed(sizes, "float32", "adam", 32) == params * 4 * 4 + extra
    assert cli_memory.memory_needed(sizes, "float32", "sgd", 32) == params * 4 * 3 + extra


@pytest.mark.parametrize("make, message", [
    (lambda p: os.mkfifo(p), "is a FIFO (named pipe), not a regular file"),
    (lambda p: p.mkdir(), "is a directory; give the model file a file name"),
])
def test_save_path_that_cannot_hold_a_model_fails_before_training(capsys, tmp_path, make,
                                                                   message):
    target = tmp_path / "model.npz"
    make(target)
    code, out, err = run(capsys, "train", "--dataset", "digits", "--save", str(target))
    assert code == 1
    assert_one_line_error(err, "--save", message)
    assert ".fastmlp" not in err and "epoch" not in out
    assert not target.is_file()


def test_failed_save_after_training_still_prints_the_report(capsys, tmp_path, monkeypatch):
    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(np.lib.format, "write_array", disk_full)
    target = tmp_path / "model.npz"
    code, out, err = run(capsys, "train", "--dataset", "digits", "--epochs", "1",
                         "--no-progress", "--save", str(target))
    assert code == 1
    assert "test accuracy" in out and "NOT SAVED" in out
    assert_one_line_error(err, f"--save {target}: no space left on device; the model was "
                               f"not saved")
    assert os.listdir(tmp_path) == []


def test_a_run_that_diverges_says_so_in_the_report(capsys):
    """``--lr 1e6`` stays finite and learns nothing: the report has a warning row."""
    code, out, err = run(capsys, "train", "--dataset", "digits", "--epochs", "2",
                         "--optimizer", "sgd", "--lr", "1e6", "--no-progress")
    assert code == 0, err
    assert re.search(r"^warning\s+the training loss exploded", out, re.MULTILINE), out
    assert "DivergenceWarning" not in err  # said once, in the report's words


def test_a_healthy_run_has_no_warning_row(capsys):
    code, out, err = run(capsys, "train", "--dataset", "digits", "--epochs", "3",
                         "--no-progress")
    assert code == 0, err
    assert not re.search(r"^warning", out, re.MULTILINE), out
