"""Time to accuracy: both systems trained for real on the shipped digits; verdicts on known rows."""

import dataclasses
import io

import pytest

from fastmlp.bench import time_to_accuracy as tta
from fastmlp.cli._data import load as load_dataset
from fastmlp.cli._recipes import RECIPES

pytest.importorskip("torch")


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """A loaded machine makes PyTorch's thread pool spin: one thread keeps the tests short."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def digits_rows(one_torch_thread):
    return tta.measure("digits", recipes=("default",), seeds=(0, 1), torch_epochs=3,
                       cli_extra=("--epochs", "3"))


def test_one_row_per_system_with_each_seed(digits_rows):
    assert [row["label"] for row in digits_rows] == ["pytorch, default recipe",
                                                     "fastmlp, default recipe"]
    for row in digits_rows:
        assert len(row["runs"]) == len(row["accuracies"]) == 2
        assert all(s >= 0 for s in row["runs"])  # the command prints tenths of a second
        assert min(row["runs"]) <= row["seconds"] <= max(row["runs"])
        assert 0.5 < row["accuracy"] <= 1.0  # 3 epochs on digits already learn a lot


def test_the_table_shows_every_seed_and_the_ratio_to_torch(digits_rows):
    lines = tta.format_rows(digits_rows).splitlines()
    assert lines[0].split() == ["system", "seed", "0", "seed", "1", "median", "x", "torch"]
    assert set(lines[1]) == {"-"}
    assert lines[2].startswith("pytorch, default recipe") and lines[2].endswith("1.000")
    fastmlp = digits_rows[1]
    ratio = fastmlp["seconds"] / digits_rows[0]["seconds"]
    assert lines[3].endswith(f"{ratio:9.3f}") and f"{fastmlp['accuracies'][0]:.4f}" in lines[3]
    assert tta.verdicts(digits_rows, "digits") == []  # the bounds are Fashion-MNIST's


def test_torch_trains_on_the_command_s_own_split():
    dataset = load_dataset("digits", download=False)
    recipe = RECIPES["digits"]
    seconds, accuracy = tta.train_torch(dataset, dataclasses.replace(recipe, epochs=2), seed=0)
    assert seconds > 0 and 0 <= accuracy <= 1
    with pytest.raises(ValueError, match="the PyTorch reference runs ReLU"):
        tta.train_torch(dataset, dataclasses.replace(recipe, optimizer="sgd"), 0)


def test_the_cli_runner_reads_the_command_s_lines_and_reports_failures():
    seconds, accuracy = tta.train_cli("digits", "default", 0, ("--epochs", "1"))
    assert seconds >= 0 and 0 < accuracy <= 1
    with pytest.raises(RuntimeError, match="exited with 2"):
        tta.train_cli("digits", "fast", 0)


def _row(label, seconds, accuracies):
    return {"label": label, "seconds": sorted(seconds)[1], "runs": list(seconds),
            "accuracy": sorted(accuracies)[1], "accuracies": list(accuracies)}


def _rows(torch_s, fast_s, fast_acc, pixels_s=(20.0,) * 3, pixels_acc=(0.898,) * 3):
    return [_row("pytorch, pixels recipe", torch_s, (0.897,) * 3),
            _row("fastmlp, fast recipe", fast_s, fast_acc),
            _row("fastmlp, pixels recipe", pixels_s, pixels_acc)]


def test_the_reference_is_the_pixels_recipe_where_there_is_one():
    assert tta.reference_name("fashion-mnist") == "pixels"
    assert tta.reference_name("digits") == "default"


def test_verdicts_on_fashion_mnist():
    lines = tta.verdicts(_rows((30.0, 30.0, 31.0), (9.0, 9.5, 9.0), (0.903, 0.904, 0.905)))
    assert lines[0] == "fast recipe: median test accuracy 0.9040 (>= 0.900) met"
    assert lines[1].startswith("fast recipe: time / PyTorch's pixels recipe = 0.300 (<= "
                               "0.35) met")
    # The fast recipe is the default: the default's bound is judged on its row.
    assert lines[2] == "default recipe (the fast one): median test accuracy 0.9040 (>= 0.897) met"
    assert lines[3] == ("fast recipe against the former default (pixels): median test accuracy "
                        "0.9040 against 0.8980, gain +0.0060 (> 0) met, per seed +0.0050 +0.0060 "
                        "+0.0070")
    assert lines[4] == ("fast recipe against the former default (pixels): time ratio 0.450 "
                        "(< 1) met")
    slow = tta.verdicts(_rows((30.0,) * 3, (15.0,) * 3, (0.895, 0.896, 0.897)))
    assert "(>= 0.900) NOT met" in slow[0] and "= 0.500 (<= 0.35) NOT met" in slow[1]
    assert "gain -0.0020 (> 0) NOT met" in slow[3]
    noisy = tta.verdicts(_rows((30.0,) * 3, (9.0,) * 3, (0.895, 0.901, 0.907)))
    assert "inconclusive" in noisy[0] and "inconclusive" in noisy[3]
    slower = tta.verdicts(_rows((30.0,) * 3, (25.0,) * 3, (0.905,) * 3))
    assert slower[4].endswith("time ratio 1.250 (< 1) NOT met")


def test_without_the_pixels_row_the_comparison_is_left_out():
    rows = _rows((30.0,) * 3, (9.0,) * 3, (0.903,) * 3)[:2]
    lines = tta.verdicts(rows)
    assert len(lines) == 3 and lines[2].startswith("default recipe (the fast one)")


def test_the_run_needs_torch(monkeypatch):
    monkeypatch.setattr(tta, "optional", lambda name: None)
    with pytest.raises(RuntimeError, match='pip install "fastmlp\\[peers\\]"'):
        tta.run_time_to_accuracy(out=io.StringIO())
