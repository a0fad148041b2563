"""``--threads N`` (fastmlp.cli._threads): the counts in effect while a command computes, the
report line, and the values refused."""

import re

import numpy as np
import pytest
from cli_run import run

import fastmlp
from fastmlp.cli._parser import build_parser
from fastmlp.cli._threads import usable_cpus
from fastmlp.data import load_digits


def counts_seen_inside(monkeypatch, method):
    """Make ``Sequential.<method>`` record ``fastmlp.thread_counts()`` each time it runs."""
    seen = []
    original = getattr(fastmlp.Sequential, method)

    def recording(self, *args, **kwargs):
        seen.append(fastmlp.thread_counts())
        return original(self, *args, **kwargs)

    monkeypatch.setattr(fastmlp.Sequential, method, recording)
    return seen


def all_one(counts):
    return counts["numba"] == 1 and counts["blas"] and all(n == 1 for _, _, n in counts["blas"])


def test_train_runs_on_the_threads_asked_for_and_says_so(capsys, monkeypatch):
    before = fastmlp.thread_counts()
    seen = counts_seen_inside(monkeypatch, "fit")
    code, out, err = run(capsys, "train", "--dataset", "digits", "--epochs", "1", "--layers",
                         "8", "--no-progress", "--threads", "1")
    assert code == 0, err
    assert len(seen) == 1 and all_one(seen[0])
    line = re.search(r"^threads   (.*)$", out, re.MULTILINE).group(1)
    blas = ", ".join(f"1 ({name} {version})" for name, version, _ in seen[0]["blas"])
    assert line == f"BLAS {blas}; Numba 1"
    assert fastmlp.thread_counts() == before  # restored when the command ends


def test_without_threads_nothing_changes_and_nothing_is_said(capsys, monkeypatch):
    before = fastmlp.thread_counts()
    seen = counts_seen_inside(monkeypatch, "fit")
    code, out, err = run(capsys, "train", "--dataset", "digits", "--epochs", "1", "--layers",
                         "8", "--no-progress")
    assert code == 0, err
    assert seen == [before] and "threads" not in out


def test_evaluate_and_predict_take_threads(capsys, monkeypatch, tmp_path, digits_model):
    seen = counts_seen_inside(monkeypatch, "evaluate")
    code, out, err = run(capsys, "evaluate", str(digits_model), "--dataset", "digits",
                         "--threads", "1")
    assert code == 0, err
    assert len(seen) == 1 and all_one(seen[0])
    assert re.search(r"^threads\s+BLAS 1 \(.*; Numba 1$", out, re.MULTILINE)

    (X, _), _ = load_digits()
    np.save(tmp_path / "rows.npy", X[:5])
    seen = counts_seen_inside(monkeypatch, "predict")
    code, out, err = run(capsys, "predict", str(digits_model), str(tmp_path / "rows.npy"),
                         "--threads", "1")
    assert code == 0, err
    assert len(seen) == 1 and all_one(seen[0])
    assert len(out.split()) == 5  # the predictions only: stdout stays a clean list


def test_every_usable_cpu_is_accepted():
    args = build_parser().parse_args(["train", "--threads", str(usable_cpus())])
    assert args.threads == usable_cpus()


@pytest.mark.parametrize("value, message", [
    ("0", "must lie in [1, "),
    ("-2", "must lie in [1, "),
    (str(usable_cpus() + 1), f"must lie in [1, {usable_cpus()}] (the CPUs this process may use"),
    ("two", "expected a whole number of threads, got 'two'"),
    ("1.5", "expected a whole number of threads, got '1.5'"),
])
@pytest.mark.parametrize("command", [["train"], ["evaluate", "m.npz"], ["predict", "m.npz",
                                                                          "x.npy"]])
def test_bad_thread_counts_are_usage_errors(capsys, command, value, message):
    code, out, err = run(capsys, *command, f"--threads={value}")
    assert code == 2 and out == ""
    assert f"error: argument --threads: {message}" in err
    assert "Traceback" not in err
