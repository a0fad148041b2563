"""The table and the verdicts, on rows whose numbers are known."""

import pytest

from fastmlp.bench import report


def _row(target, impl, runs, size="784-128-10", unit="s/epoch", **extra):
    runs = list(runs)
    return {"target": target, "size": size, "impl": impl, "unit": unit,
            "seconds": sorted(runs)[len(runs) // 2], "runs": runs, "data": "d", **extra}


# --------------------------------------------------------------------------- judge


@pytest.mark.parametrize(("value", "bound", "runs", "at_most", "verdict"), [
    (0.50, 0.60, [0.48, 0.50, 0.52], True, "met"),
    (0.70, 0.60, [0.68, 0.70, 0.72], True, "NOT met"),
    (0.59, 0.60, [0.50, 0.59, 0.65], True, "inconclusive"),  # spread 0.15 > margin 0.01
    (0.61, 0.60, [0.50, 0.61, 0.65], True, "inconclusive"),
    (0.50, 0.60, [0.50], True, "inconclusive"),  # one run: no spread to judge by
    (0.5, -1.0, [0.2, 0.5, 0.9], False, "met"),  # at least -1
    (-2.0, -1.0, [-2.2, -2.0, -1.9], False, "NOT met"),
    (-0.9, -1.0, [-1.5, -0.9, -0.5], False, "inconclusive"),
])
def test_judge_says_inconclusive_when_the_spread_exceeds_the_margin(value, bound, runs,
                                                                   at_most, verdict):
    assert report.judge(value, bound, runs, at_most=at_most).startswith(verdict)


def test_judge_names_spread_and_margin():
    assert report.judge(0.59, 0.60, [0.5, 0.6]) == "inconclusive (spread 0.1 > margin 0.01)"
    assert "spread is unknown" in report.judge(0.5, 0.6, [0.5])


def test_the_109_percent_spread_of_issue_13_gives_no_verdict():
    """A 0.2x ratio under a 0.4 bound, from runs spread over 0.1-0.5: not "met"."""
    assert report.judge(0.2, 0.4, [0.1, 0.2, 0.5]).startswith("inconclusive")


# --------------------------------------------------------------------------- ratios


def test_ratios_against_each_peer_of_the_same_size_and_target():
    rows = [_row("T1", "fastmlp numba", [1.0, 2.0, 3.0]),
            _row("T1", "pytorch", [2.0, 4.0, 4.0]),
            _row("T1", "numpy loop", [1.0, 1.0, 1.0]),
            _row("T2", "pytorch", [100.0, 100.0, 100.0], size="784-512-512-10")]
    report.add_ratios(rows)
    numba = rows[0]
    assert numba["x_torch"] == pytest.approx(2.0 / 4.0)  # ratio of medians
    assert numba["x_torch_best"] == pytest.approx(1.0 / 2.0)
    assert numba["x_torch_runs"] == pytest.approx([0.5, 0.5, 0.75])
    assert numba["x_torch_paired"] == pytest.approx(0.5)
    assert numba["x_loop"] == pytest.approx(2.0)
    assert "x_sklearn" not in numba  # no scikit-learn row
    assert rows[1]["x_torch"] == 1.0 and rows[3]["x_torch"] == 1.0  # each to its own size


# --------------------------------------------------------------------------- table


def test_the_table_has_a_header_a_rule_and_one_line_per_row():
    rows = [_row("T1", "fastmlp numba", [0.2, 0.3], accuracy=0.8675, gflops=42.6,
                 efficiency=0.29),
            _row("T3", "fastmlp numba", [2e-6, 3e-6], size="2-4-2", unit="s/step")]
    lines = report.format_table(rows).splitlines()
    assert lines[0].split()[:4] == ["target", "size", "implementation", "median"]
    assert set(lines[1]) == {"-"} and len(lines[1]) == len(lines[0])
    assert len(lines) == 4
    assert "0.300 s/epoch" in lines[2] and "0.200 s/epoch" in lines[2]
    assert "33%" in lines[2] and "86.75%" in lines[2] and "42.6" in lines[2]
    assert "3.00 us/step" in lines[3] and "2.00 us/step" in lines[3]


# --------------------------------------------------------------------------- verdicts


def _peer_rows(numba, torch, acc_numba=(0.86, 0.865, 0.86), acc_torch=(0.86, 0.86, 0.86),
               size="784-128-10", target="T1"):
    rows = [_row(target, "fastmlp numba", numba, size=size, accuracy=sorted(acc_numba)[1],
                 accuracies=list(acc_numba)),
            _row(target, "pytorch", torch, size=size, accuracy=sorted(acc_torch)[1],
                 accuracies=list(acc_torch))]
    report.add_ratios(rows)
    return rows


def test_t1_asks_for_no_regression_against_the_issue_12_baseline():
    lines = report.verdicts(_peer_rows([0.50, 0.50, 0.51], [1.0, 1.0, 1.0]))
    assert lines[0].startswith("T1: numba / torch vs the issue 12 baseline = 0.500 (<= 0.6) met")
    assert lines[1].startswith("T1: accuracy numba - torch = +0.00 points (>= -1) met")
    regressed = report.verdicts(_peer_rows([0.80, 0.80, 0.81], [1.0, 1.0, 1.0]))
    assert "(<= 0.6) NOT met" in regressed[0]


def test_a_noisy_run_near_the_bound_is_inconclusive():
    lines = report.verdicts(_peer_rows([0.45, 0.59, 0.70], [1.0, 1.0, 1.0]))
    assert "(<= 0.6) inconclusive (spread 0.25 > margin 0.01)" in lines[0]


def test_a_baseline_run_replaces_the_recorded_bound():
    baseline = _peer_rows([0.45, 0.45, 0.45], [1.0, 1.0, 1.0])
    lines = report.verdicts(_peer_rows([0.55, 0.55, 0.55], [1.0, 1.0, 1.0]), baseline=baseline)
    assert lines[0].startswith("T1: numba / torch vs the baseline run = 0.550 (<= 0.45) NOT met")


def test_t2_and_accuracy_behind_torch():
    rows = _peer_rows([0.7, 0.7, 0.7], [1.0, 1.0, 1.0], size="784-512-512-10", target="T2")
    assert report.verdicts(rows)[0].startswith("T2: numba / torch vs the issue 12 baseline = "
                                               "0.700 (<= 0.83) met")
    behind = _peer_rows([0.5] * 3, [1.0] * 3, acc_numba=(0.80, 0.80, 0.81),
                        acc_torch=(0.86, 0.86, 0.86))
    assert "-6.00 points (>= -1) NOT met" in report.verdicts(behind)[1]


def test_t3_t4_t5_t6_lines():
    rows = [_row("T3", "fastmlp numba", [1e-6, 1e-6, 1.1e-6], size="2-4-2", unit="s/step"),
            _row("T3", "pytorch", [1e-4, 1e-4, 1e-4], size="2-4-2", unit="s/step"),
            _row("T1", "fastmlp numpy", [1.0, 1.0, 1.0]),
            _row("T1", "numpy loop", [1.0, 1.0, 1.0]),
            _row("T5", "fastmlp numba, cold cache", [11.0, 12.0, 11.5], unit="s"),
            _row("T5", "fastmlp numba, warm cache", [0.5, 0.6, 0.55], unit="s"),
            _row("T1", "fastmlp numba", [0.3, 0.3, 0.3], gflops=40.0, efficiency=0.3)]
    report.add_ratios(rows)
    lines = report.verdicts(rows)
    assert lines[0].startswith("T3: numba / torch per step = 0.010 (<= 0.02) met")
    assert lines[1].startswith("T4: numpy backend / loop, 784-128-10 = 1.000 (<= 1.3) met")
    assert lines[2] == "T5: warm start-up adds 0.550 s (<= 2) met"
    assert lines[3] == "T5: a cold cache adds 10.950 s more than a warm one (<= 4) NOT met"
    assert lines[4] == "T6: 784-128-10: 40.0 GFLOP/s = 0.30 of the large GEMM"


def test_quiet_pairs_are_those_with_every_measurement_near_its_fastest():
    epochs, gemms = [1.0, 1.05, 1.0, 1.6], [2.0, 2.1, 3.0, 2.0]
    # Pair 2's GEMMs and pair 3's epoch fell in a slow phase; 1.05 and 2.1 are within 10 %.
    assert report.quiet_pairs(epochs, gemms) == [0, 1]
    assert report.quiet_pairs(epochs, gemms, within=1.01) == [0]
    assert report.quiet_pairs(epochs) == [0, 1, 2]
