"""The roofline benchmark run for real on a tiny size; its table and verdicts on known numbers."""

import copy
import io
import runpy
import statistics
import sys
from pathlib import Path

import pytest

from fastmlp.bench import roofline

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "roofline.py"


@pytest.fixture(scope="module")
def tiny():
    return roofline.measure_roofline("20-12-4", repeats=2, batch=32, n_train=300, settle=0.0)


def test_every_piece_is_timed_once_per_repeat(tiny):
    assert tiny["size"] == "20-12-4" and tiny["rows"] == 300 and tiny["source"] == "synthetic"
    assert tiny["steps"] == 10  # 9 batches of 32 and one of 12
    expected = {"fit 1", "epoch", "gemms", *roofline.REST,
                *(f"{kind} {g}" for kind in ("gemm", "numba") for g in roofline.GEMM_GROUPS)}
    assert set(tiny["times"]) == expected
    assert all(len(t) == 2 for t in tiny["times"].values())
    t = tiny["times"]
    for r in range(2):
        assert t["gemms"][r] == pytest.approx(sum(t[f"gemm {g}"][r]
                                                  for g in roofline.GEMM_GROUPS))
        assert tiny["ratio_runs"][r] == pytest.approx(t["epoch"][r] / t["gemms"][r])
    assert tiny["ratio"] == pytest.approx(statistics.median(tiny["ratio_runs"]))
    fastest = {name: min(t[name]) for name in ("epoch", "gemms")}
    assert tiny["quiet"] == [r for r in range(2) if t["epoch"][r] <= 1.1 * fastest["epoch"]
                             and t["gemms"][r] <= 1.1 * fastest["gemms"]]


def test_each_epoch_is_paired_with_the_gemms_timed_right_after_it(monkeypatch):
    """The epochs are those fit logs, the first left out, and the GEMMs run after each."""
    calls = []

    class Recorder(roofline._Pairing):
        def on_epoch_end(self, model, epoch, logs):
            calls.append(("epoch", epoch, logs["seconds"]))
            before = len(self.times["gemm forward"])
            super().on_epoch_end(model, epoch, logs)
            calls.append(("gemms", len(self.times["gemm forward"]) - before))

    monkeypatch.setattr(roofline, "_Pairing", Recorder)
    result = roofline.measure_roofline("10-6-3", repeats=3, batch=16, n_train=64, settle=0.0)
    assert [c[:2] for c in calls] == [("epoch", 0), ("gemms", 0), ("epoch", 1), ("gemms", 1),
                                      ("epoch", 2), ("gemms", 1), ("epoch", 3), ("gemms", 1)]
    assert result["times"]["epoch"] == [c[2] for c in calls if c[0] == "epoch"][1:]


def _split(result):
    """``result`` with its second pair's GEMMs three times slower: a quiet pair and a slow one."""
    result = copy.deepcopy(result)
    times = result["times"]
    times["gemm forward"][1] = 3 * times["gemms"][1]
    times["gemms"] = [sum(parts) for parts in zip(*(times[f"gemm {g}"]
                                                   for g in roofline.GEMM_GROUPS))]
    result["median"]["gemms"] = statistics.median(times["gemms"])
    result["median"]["gemm forward"] = statistics.median(times["gemm forward"])
    result["ratio_runs"] = [e / g for e, g in zip(times["epoch"], times["gemms"])]
    result["ratio"] = statistics.median(result["ratio_runs"])
    result["quiet"] = [0]
    return result


@pytest.mark.parametrize("split", [False, True], ids=["as measured", "quiet and slow pairs"])
def test_the_table_accounts_for_the_whole_rest(tiny, split):
    tiny = _split(tiny) if split else tiny
    lines = roofline.format_roofline(tiny).splitlines()
    if split:
        assert any(line.startswith("  the 1 pairs whose epoch and GEMMs") for line in lines)
    assert lines[0] == "20-12-4: synthetic, 300 rows, 10 steps of up to 32"
    assert lines[1].split() == ["ms", "x", "GEMMs", "spread"]
    # The table ends at the one-epoch fit; the pair lines after it (a quiet split when the
    # tiny run's GEMMs differed by over 10 %) and the team's note in it carry no cells.
    last = next(i for i, line in enumerate(lines) if line.startswith("fit(epochs=1)"))
    table = [line for line in lines[2:last + 1] if not line.lstrip().startswith("(")]
    labels = [line[:58].strip() for line in table]
    assert labels[:2] == ["epoch: its duration as fit logs it",
                          "GEMMs alone (NumPy's np.dot, preallocated outputs)"]
    assert labels[-1] == "fit(epochs=1): one call, its input checks included"
    values = {label: float(line[58:67]) for label, line in zip(labels, table)}
    rest = values["the rest: epoch - GEMMs"]
    parts = [v for label, v in values.items() if labels.index(label) > labels.index(
        "the rest: epoch - GEMMs") and not label.startswith("fit(")]
    assert sum(parts) == pytest.approx(rest, abs=0.1 * len(parts))  # rounding of each cell
    ratio = float(lines[2][67:76])
    assert ratio == pytest.approx(statistics.median(tiny["times"]["epoch"]) /
                                  statistics.median(tiny["times"]["gemms"]), abs=0.006)
    paired = [line for line in lines if line.startswith("epoch / GEMMs, pair by pair")]
    assert paired == [f"epoch / GEMMs, pair by pair: median {tiny['ratio']:.3f}, spread "
                      f"{max(tiny['ratio_runs']) - min(tiny['ratio_runs']):.3f} over 2 pairs"]


def test_the_table_splits_quiet_pairs_from_a_slow_phase():
    result = _result("784-128-10", [0.25, 0.26, 0.5], [0.2, 0.2, 0.3])
    result["quiet"] = [0, 1]
    result["ratio"] = statistics.median(result["ratio_runs"])
    result["team"], result["steps"], result["batch"] = 2, 469, 128
    for name in ("fit 1", *roofline.REST, *(f"{k} {g}" for k in ("gemm", "numba")
                                             for g in roofline.GEMM_GROUPS)):
        result["median"][name] = 0.01
        result["times"][name] = [0.01] * 3
    lines = roofline.format_roofline(result).splitlines()
    assert lines[-2] == "epoch / GEMMs, pair by pair: median 1.300, spread 0.417 over 3 pairs"
    assert lines[-1] == ("  the 2 pairs whose epoch and GEMMs both took <= 1.1x the fastest: "
                         "median 1.275, spread 0.050; the 1 others (a slower phase of the host "
                         "in either): median 1.667")
    result["quiet"] = []  # every pair straddled a change of phase
    assert roofline.format_roofline(result).splitlines()[-1] == (
        "  no pair had both its epoch and its GEMMs within 1.1x of the fastest (the host "
        "changed phase within every pair)")


def _result(size, epoch_runs, gemm_runs):
    median = {"epoch": statistics.median(epoch_runs), "gemms": statistics.median(gemm_runs)}
    return {"size": size, "rows": 60_000, "source": "synthetic", "median": median,
            "times": {"epoch": epoch_runs, "gemms": gemm_runs},
            "ratio": median["epoch"] / median["gemms"],
            "ratio_runs": [e / g for e, g in zip(epoch_runs, gemm_runs)]}


def test_a_result_becomes_a_table_row():
    row = roofline.as_row(_result("784-128-10", [0.3, 0.2, 0.25], [0.2, 0.2, 0.2]))
    assert row["target"] == "R1" and row["impl"] == "fastmlp numba, own GEMMs"
    assert row["seconds"] == 0.25 and row["runs"] == [0.3, 0.2, 0.25]
    assert row["x_gemms"] == pytest.approx(1.25)
    assert row["x_gemms_runs"] == pytest.approx([1.5, 1.0, 1.25])
    assert row["data"] == "GEMMs alone 200.0 ms, epoch / GEMMs 1.250; synthetic n=60000"


def test_verdicts_hold_each_size_to_its_bound():
    met = roofline.roofline_verdict(_result("784-128-10", [1.2, 1.2, 1.21], [1.0, 1.0, 1.0]))
    assert met.startswith("R1: 784-128-10 epoch / its GEMMs alone = 1.200 (<= 1.25) met")
    missed = roofline.roofline_verdict(
        _result("784-512-512-10", [1.5, 1.5, 1.6], [1.0, 1.0, 1.0]))
    assert "R2: 784-512-512-10" in missed and "(<= 1.15) NOT met" in missed
    noisy = roofline.roofline_verdict(_result("784-128-10", [1.0, 1.3, 1.6], [1.0, 1.0, 1.0]))
    assert "inconclusive" in noisy
    assert roofline.roofline_verdict(_result("20-12-4", [1.0], [1.0])) is None


def test_run_prints_machine_tables_and_no_verdict_for_untargeted_sizes():
    out = io.StringIO()
    results = roofline.run_roofline(sizes=["10-6-3"], repeats=1, batch=16, n_train=64, out=out,
                                    settle=0.0)
    text = out.getvalue()
    assert text.startswith("# fastmlp roofline: the fused epoch against its own GEMMs")
    assert "# cpu: " in text and "# load average" in text
    assert "10-6-3: synthetic, 64 rows, 4 steps of up to 16" in text
    assert "R1" not in text and len(results) == 1


@pytest.mark.parametrize("kwargs", [{"repeats": 0}, {"batch": 0}, {"settle": -1}])
def test_bad_settings_are_refused(kwargs):
    with pytest.raises(ValueError, match="must be >= 1 and settle >= 0"):
        roofline.measure_roofline("10-6-3", **kwargs)


def test_the_roofline_script_refuses_bad_settings(monkeypatch, capsys):
    script = SCRIPT
    monkeypatch.setattr(sys, "argv", [str(script), "--repeats", "0"])
    with pytest.raises(SystemExit) as stop:
        runpy.run_path(str(script), run_name="__main__")
    assert stop.value.code == 2 and "repeats and batch must be >= 1" in capsys.readouterr().err


def test_the_roofline_script_refuses_a_negative_wait(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", [str(SCRIPT), "--wait-quiet", "-1"])
    with pytest.raises(SystemExit) as stop:
        runpy.run_path(str(SCRIPT), run_name="__main__")
    assert stop.value.code == 2
    assert "--wait-quiet: expected seconds >= 0, got '-1'" in capsys.readouterr().err


def test_the_roofline_script_waits_for_a_quiet_host_first_when_asked(monkeypatch, capsys):
    calls = []
    monkeypatch.setattr("fastmlp.bench.quiet_host.wait_for_quiet",
                        lambda seconds: calls.append(("wait", seconds)) or "host quiet: (scripted)")
    monkeypatch.setattr("fastmlp.bench.roofline.run_roofline",
                        lambda **kwargs: calls.append(("run", kwargs["sizes"])))
    monkeypatch.setattr(sys, "argv", [str(SCRIPT), "--sizes", "10-6-3", "--wait-quiet", "45"])
    runpy.run_path(str(SCRIPT), run_name="__main__")
    assert calls == [("wait", 45.0), ("run", ["10-6-3"])]
    assert capsys.readouterr().out == "# host quiet: (scripted)\n"
