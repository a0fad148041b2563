"""Flags, help and usage errors (fastmlp.cli._parser): exit status 2, never a traceback."""

import pytest
from cli_run import COMMANDS, run

import fastmlp


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
    assert "--layers 384,128" in out and "--components 160 --validation-split 0" in out
    assert "'pixels' (the former default" in " ".join(out.split())


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


def test_warmup_without_the_warmup_schedule_is_a_usage_error(capsys):
    code, _, err = run(capsys, "train", "--dataset", "digits", "--schedule", "cosine",
                       "--warmup", "2")
    assert code == 2
    assert "--warmup applies to --schedule warmup-cosine only" in err


def test_warmup_as_long_as_the_run_is_a_usage_error(capsys):
    code, out, err = run(capsys, "train", "--dataset", "digits", "--schedule", "warmup-cosine",
                         "--warmup", "3", "--epochs", "3")
    assert code == 2
    assert ("--warmup 3 leaves no epoch of the 3 for the cosine decay; give fewer warm-up "
            "epochs or more --epochs") in err
    assert "epoch 1" not in out


@pytest.mark.parametrize("value, message", [
    ("-1", "argument --seed: must be >= 0, got '-1'"),
    ("1.5", "argument --seed: expected a whole number, got '1.5'"),
])
def test_negative_or_fractional_seed_is_a_usage_error_naming_the_flag(capsys, value, message):
    code, out, err = run(capsys, "train", "--dataset", "digits", "--seed", value)
    assert code == 2
    assert message in err
    assert "Traceback" not in err and "epoch" not in out


def test_bench_help_says_medians_are_reported(capsys):
    _, out, _ = run(capsys, "bench", "--help")
    flat = " ".join(out.split())
    assert "the median is reported, with the best and the spread" in flat
    assert "the best is reported" not in flat
