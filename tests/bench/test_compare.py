"""The peer comparison run for real on tiny sizes: the printed table, its rows and ratios."""

import io
import json
import runpy
import sys
from pathlib import Path

import pytest

from fastmlp.bench import compare

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "compare_peers.py"


@pytest.fixture(autouse=True, scope="module")
def no_settling():
    """Tiny runs need no idle time between them: the tests check the table, not the times."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(compare, "SETTLE", 0.0)
        yield


@pytest.fixture(scope="module")
def tiny_run(no_settling):
    out = io.StringIO()
    rows = compare.run_peer_comparison(sizes=["16-8-3", (20, 6, 4)], epochs=2, repeats=2,
                                       peers=False, out=out, n_train=256, xor_steps=40,
                                       startup=False, gemm_size=256)
    return rows, out.getvalue().splitlines()


def test_one_row_per_implementation_and_size(tiny_run):
    rows, _ = tiny_run
    impls = ["fastmlp numba", "fastmlp numpy", "numpy loop"]
    assert [(r["size"], r["impl"]) for r in rows[:6]] == [
        (size, impl) for size in ("16-8-3", "20-6-4") for impl in impls]
    assert [r["impl"] for r in rows[6:]] == ["fastmlp numba", "fastmlp numba, fit per step",
                                             "fastmlp numpy"]
    for row in rows:
        assert len(row["runs"]) == 2 and row["seconds"] > 0
        assert min(row["runs"]) <= row["seconds"] <= max(row["runs"])
    for row in rows[:6]:
        assert row["target"] == "epoch" and row["unit"] == "s/epoch"
        assert row["data"] == "synthetic n=256"
        assert 0 <= row["accuracy"] <= 1 and len(row["accuracies"]) == 2
        assert 0 < row["efficiency"] and row["gflops"] > 0
    assert {r["data"] for r in rows[6:]} == {"XOR, 40 steps", "XOR, 4 steps"}


def test_ratios_are_to_the_loop_of_the_same_size(tiny_run):
    rows, _ = tiny_run
    for row in rows[:6]:
        loop = next(r for r in rows if r["size"] == row["size"] and r["impl"] == "numpy loop")
        assert row["x_loop"] == pytest.approx(row["seconds"] / loop["seconds"])
        assert row["x_loop_runs"] == pytest.approx(
            [a / b for a, b in zip(row["runs"], loop["runs"])])
        assert "x_torch" not in row  # peers=False: no PyTorch row to compare with


def test_the_printout_has_machine_table_and_verdicts(tiny_run):
    rows, lines = tiny_run
    assert lines[0].startswith("# fastmlp peer comparison: float32, batch 128, Adam lr 0.001, "
                               "2 epochs per run, medians of 2 runs")
    assert lines[1].startswith("# cpu: ") and "blas: " in lines[1]
    assert lines[3].startswith("# large GEMM (256^3 float32")
    assert lines[4].startswith("# load average")
    header = lines.index(next(line for line in lines if line.startswith("target")))
    assert set(lines[header + 1]) == {"-"}
    table = lines[header + 2:header + 2 + len(rows)]
    assert [line.split()[0] for line in table] == [r["target"] for r in rows]
    verdicts = lines[header + 2 + len(rows):]
    assert sum(line.startswith("T4: numpy backend / loop") for line in verdicts) == 2
    assert all(line.split(": ")[0] in ("T4", "T6") for line in verdicts)


@pytest.mark.parametrize("kwargs", [{"repeats": 0}, {"epochs": 0}, {"xor_steps": -1},
                                    {"n_train": 0}, {"gemm_size": 0}])
def test_bad_settings_are_refused_before_anything_runs(kwargs):
    out = io.StringIO()
    with pytest.raises(ValueError, match="must be"):
        compare.run_peer_comparison(out=out, **kwargs)
    assert out.getvalue() == ""


def test_a_bad_size_is_refused():
    with pytest.raises(ValueError, match="at least two positive widths"):
        compare.run_peer_comparison(sizes=["784"], out=io.StringIO())


def test_timed_runs_rotate_the_order_every_repeat():
    calls = []
    impls = {"a": None, "b": None, "c": None}
    results = compare.timed_runs(impls, 3, lambda name, fn, r: calls.append(name) or (name, r),
                                 settle=0.001)
    assert calls == ["a", "b", "c", "b", "c", "a", "c", "a", "b"]
    assert results["b"] == [("b", 0), ("b", 1), ("b", 2)]


def _script(monkeypatch, *argv):
    monkeypatch.setattr(sys, "argv", [str(SCRIPT), *argv])
    runpy.run_path(str(SCRIPT), run_name="__main__")


def test_the_script_writes_json_and_reads_it_back_as_a_baseline(monkeypatch, tmp_path, capsys):
    results = tmp_path / "r.json"
    quick = ["--sizes", "12-5-3", "--epochs", "1", "--repeats", "2", "--n-train", "128",
             "--xor-steps", "10", "--no-peers", "--no-startup", "--gemm-size", "128"]
    _script(monkeypatch, *quick, "--json", str(results))
    rows = json.loads(results.read_text())
    assert [r["impl"] for r in rows[:3]] == ["fastmlp numba", "fastmlp numpy", "numpy loop"]
    _script(monkeypatch, *quick, "--baseline", str(results))
    assert "T4: numpy backend / loop, 12-5-3" in capsys.readouterr().out


@pytest.mark.parametrize("content", [None, "not json", '{"a": 1}'])
def test_the_script_explains_a_bad_baseline(monkeypatch, tmp_path, capsys, content):
    path = tmp_path / "b.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(SystemExit) as stop:
        _script(monkeypatch, "--baseline", str(path))
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert f"--baseline {path}:" in err and "pass a file written by --json" in err


def test_targeted_sizes_get_a_roofline_row_and_verdict(monkeypatch):
    monkeypatch.setitem(compare.ROOFLINE_TARGETS, "16-8-3", ("R1", 1.25))
    out = io.StringIO()
    rows = compare.run_peer_comparison(sizes=["16-8-3"], epochs=1, repeats=2, peers=False,
                                       out=out, n_train=128, xor_steps=0, startup=False,
                                       gemm_size=64)
    (row,) = [r for r in rows if r["target"] == "R1"]
    assert row["impl"] == "fastmlp numba, own GEMMs" and len(row["x_gemms_runs"]) == 2
    assert row["data"].startswith("GEMMs alone ")
    assert "R1: 16-8-3 epoch / its GEMMs alone = " in out.getvalue()
    assert not any(r["target"] == "T3" for r in rows)  # xor_steps=0 skips T3



def test_the_script_waits_for_a_quiet_host_first_when_asked(monkeypatch, capsys):
    waits = []
    monkeypatch.setattr("fastmlp.bench.quiet_host.wait_for_quiet",
                        lambda seconds: waits.append(seconds) or "host quiet: (scripted)")
    _script(monkeypatch, "--sizes", "12-5-3", "--epochs", "1", "--repeats", "2", "--n-train",
            "128", "--xor-steps", "10", "--no-peers", "--no-startup", "--no-roofline",
            "--gemm-size", "128", "--wait-quiet", "30")
    assert waits == [30.0]
    assert capsys.readouterr().out.startswith("# host quiet: (scripted)\n# fastmlp peer comparison")


def test_the_script_refuses_a_negative_wait(monkeypatch, capsys):
    with pytest.raises(SystemExit) as stop:
        _script(monkeypatch, "--wait-quiet", "-1")
    assert stop.value.code == 2
    assert "--wait-quiet: expected seconds >= 0, got '-1'" in capsys.readouterr().err
