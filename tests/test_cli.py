"""The command line: every subcommand, exit codes, messages, and a digits run end to end.

Commands run in-process through ``main([...])`` (fast, and their output is captured); one
test runs ``python -m fastmlp`` as a real subprocess.
"""

import re
import subprocess
import sys
import types

import numpy as np
import pytest

import fastmlp
from fastmlp.cli import main
from fastmlp.data import load_digits, locate, sources, write_idx

COMMANDS = ["train", "evaluate", "predict", "bench", "gradcheck"]


def run(capsys, *argv):
    """``main(argv)``: (exit status, stdout, stderr)."""
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_line_error(err, *fragments):
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"expected one error line, got:\n{err}"
    assert lines[0].startswith("fastmlp: error: ")
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.fixture(scope="module")
def digits_model(tmp_path_factory):
    """A model trained through the CLI on the shipped digits, and that run's output."""
    folder = tmp_path_factory.mktemp("digits")
    path = folder / "digits.npz"
    code = main(["train", "--dataset", "digits", "--epochs", "4", "--no-progress",
                 "--save", str(path)])
    assert code == 0
    return path


def _accuracy(text, what="test accuracy"):
    return float(re.search(rf"^{what}\s+([0-9.]+)$", text, re.MULTILINE).group(1))


# --------------------------------------------------------------------------- help and usage


def test_top_level_help_lists_every_command(capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0
    for command in COMMANDS:
        assert command in out


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(capsys, command):
    code, out, _ = run(capsys, command, "--help")
    assert code == 0
    assert out.startswith(f"usage: fastmlp {command}")


def test_train_help_states_the_fashion_mnist_recipe(capsys):
    _, out, _ = run(capsys, "train", "--help")
    assert "the Fashion-MNIST one is" in out
    assert "--layers 256,128" in out


def test_version(capsys):
    code, out, _ = run(capsys, "--version")
    assert code == 0
    assert out.strip() == f"fastmlp {fastmlp.__version__}"


@pytest.mark.parametrize("argv, message", [
    ([], "required: COMMAND"),
    (["fly"], "invalid choice: 'fly'"),
    (["train", "--lr", "-1"], "--lr: must be > 0"),
    (["train", "--layers", "256,0"], "positive integers"),
    (["train", "--validation-split", "1.5"], "must lie in [0, 1)"),
    (["train", "--epochs", "two"], "expected a number"),
    (["train", "--activation", "swish"], "invalid choice: 'swish'"),
    (["train", "--no-such-flag"], "unrecognized arguments"),
    (["predict", "model.npz"], "required: INPUT"),
    (["bench", "--sizes", "784x128"], "network sizes such as"),
])
def test_usage_errors_exit_2(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert message in err
    assert "Traceback" not in err


def test_unknown_dataset_name_is_a_usage_error(capsys):
    code, _, err = run(capsys, "train", "--dataset", "fashon-mnist")
    assert code == 2
    assert "'fashon-mnist' is neither a dataset name" in err
    assert "digits" in err


def test_gamma_without_a_decaying_schedule_is_a_usage_error(capsys):
    code, _, err = run(capsys, "train", "--dataset", "digits", "--schedule", "cosine",
                       "--gamma", "0.5")
    assert code == 2
    assert "--gamma applies to --schedule step or exponential" in err


# --------------------------------------------------------------------------- train, end to end


def test_digits_train_save_evaluate_predict(capsys, tmp_path):
    model_path = tmp_path / "digits.npz"
    code, out, err = run(capsys, "train", "--dataset", "digits", "--epochs", "5",
                         "--no-progress", "--save", str(model_path))
    assert code == 0, err
    assert "network   64-64-10 relu" in out
    assert len(re.findall(r"^epoch \d+/5 .*val_accuracy", out, re.MULTILINE)) == 5
    trained = _accuracy(out)
    assert trained > 0.8
    assert re.search(r"^samples/s\s+[0-9,]+$", out, re.MULTILINE)
    assert model_path.is_file()

    code, out, err = run(capsys, "evaluate", str(model_path), "--dataset", "digits")
    assert code == 0, err
    # evaluate sees the very test samples train held out, so the numbers agree.
    assert _accuracy(out) == trained

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


# --------------------------------------------------------------------------- failures, exit 1


@pytest.fixture
def no_datasets_on_disk(tmp_path, monkeypatch):
    """Hide every copy of MNIST and Fashion-MNIST from the loaders."""
    monkeypatch.setenv("FASTMLP_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    for name in sources.DATASET_NAMES:
        monkeypatch.setitem(sources.SYSTEM_DIRS, name, tmp_path / "system" / name)


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


def test_wrong_csv_width(capsys, tmp_path, digits_model):
    np.savetxt(tmp_path / "odd.csv", np.zeros((2, 50)), fmt="%d", delimiter=",")
    code, _, err = run(capsys, "predict", str(digits_model), str(tmp_path / "odd.csv"))
    assert code == 1
    assert_one_line_error(err, "has 50 columns but the model takes 64 features")


def test_missing_input_file(capsys, tmp_path, digits_model):
    code, _, err = run(capsys, "predict", str(digits_model), str(tmp_path / "none.npy"))
    assert code == 1
    assert_one_line_error(err, "none.npy: no such file")


def test_save_into_a_missing_folder_fails_before_training(capsys, tmp_path):
    code, out, err = run(capsys, "train", "--dataset", "digits",
                         "--save", str(tmp_path / "no" / "m.npz"))
    assert code == 1
    assert_one_line_error(err, "does not exist")
    assert "epoch" not in out


# --------------------------------------------------------------------------- bench, gradcheck


@pytest.fixture
def fake_library(monkeypatch):
    """Stand-ins for the bench and gradient-table functions, recording their arguments."""
    calls = {}

    def recorder(name):
        def function(**kwargs):
            calls[name] = kwargs
            print(f"{name} ran", file=kwargs["out"])
        return function

    bench = types.ModuleType("fastmlp.bench")
    bench.run_peer_comparison = recorder("bench")
    monkeypatch.setitem(sys.modules, "fastmlp.bench", bench)
    monkeypatch.setattr(fastmlp.gradients, "gradient_table", recorder("gradcheck"),
                        raising=False)
    return calls


def test_bench_passes_its_flags_on(capsys, fake_library):
    code, out, _ = run(capsys, "bench", "--sizes", "2-4-2,784-128-10", "--epochs", "2",
                       "--no-peers")
    assert code == 0
    assert "bench ran" in out
    assert fake_library["bench"] == {"sizes": [(2, 4, 2), (784, 128, 10)], "epochs": 2,
                                     "repeats": 3, "peers": False, "out": sys.stdout}


def test_gradcheck_passes_its_flags_on(capsys, fake_library):
    code, out, _ = run(capsys, "gradcheck", "--sizes", "4-8-3")
    assert code == 0
    assert "gradcheck ran" in out
    assert fake_library["gradcheck"] == {"sizes": [(4, 8, 3)], "out": sys.stdout}


def test_bench_and_gradcheck_explain_a_missing_function(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "fastmlp.bench", None)  # import fails
    monkeypatch.delattr(fastmlp.gradients, "gradient_table", raising=False)
    for command, name in (("bench", "run_peer_comparison"), ("gradcheck", "gradient_table")):
        code, _, err = run(capsys, command)
        assert code == 1
        assert_one_line_error(err, "needs fastmlp.", name)


# --------------------------------------------------------------------------- plots


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


# --------------------------------------------------------------------------- entry point


def test_python_dash_m_fastmlp():
    done = subprocess.run([sys.executable, "-m", "fastmlp", "--help"], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0
    assert done.stdout.startswith("usage: python -m fastmlp")
    done = subprocess.run([sys.executable, "-m", "fastmlp", "train", "--lr", "0"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2


# --------------------------------------------------------------------------- real data


@pytest.mark.slow
def test_fashion_mnist_one_epoch_of_784_128_10_reaches_80_percent(capsys):
    if locate("fashion-mnist")[0] is None:
        pytest.skip("Fashion-MNIST is not on this machine (apt-get install "
                    "dataset-fashion-mnist, or put it in $FASTMLP_DATA/fashion-mnist/)")
    code, out, err = run(capsys, "train", "--dataset", "fashion-mnist", "--layers", "128",
                         "--optimizer", "adam", "--weight-decay", "0", "--epochs", "1",
                         "--validation-split", "0", "--no-download", "--no-progress")
    assert code == 0, err
    assert "network   784-128-10 relu" in out
    assert _accuracy(out) >= 0.80


def test_gradcheck_prints_the_gradient_table(capsys):
    code, out, err = run(capsys, "gradcheck", "--sizes", "2-4-2,4-8-3")
    assert code == 0, err
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("network"))
    for column in ("params", "analytic s", "numba s", "numpy s", "max rel err", "kinks"):
        assert column in lines[header]
    assert lines[header + 1].split()[:2] == ["2-4-2", "22"]
    assert lines[header + 2].split()[:2] == ["4-8-3", "67"]
