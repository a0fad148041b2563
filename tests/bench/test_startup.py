"""What start-up adds: the rows built from fresh processes, and a real cold/warm pair."""

import os
import subprocess

import pytest

from fastmlp.bench import startup


def test_rows_take_the_median_run_of_each_kind():
    seen = []
    added = iter([9.0, 0.5, 11.0, 0.7, 10.0, 0.6])  # cold, warm, cold, warm, cold, warm

    def once(cache_dir):
        seen.append(cache_dir)
        seconds = next(added)
        times = {"numpy": 0.1, "fastmlp": 0.2, "first": seconds, "steady": 0.01}
        return seconds, times, seconds + 1.0

    cold, warm = startup.startup_rows(3, once=once)
    assert seen[0] == seen[1] != seen[2] == seen[3]  # a fresh cache for every pair
    assert not any(os.path.exists(d) for d in seen)  # and nothing left behind
    assert cold["impl"] == "fastmlp numba, cold cache" and warm["impl"].endswith("warm cache")
    assert cold["runs"] == [9.0, 11.0, 10.0] and cold["seconds"] == 10.0
    assert "first fit 10.00s" in cold["data"] and "process 11.0s" in cold["data"]
    assert warm["runs"] == [0.5, 0.7, 0.6] and warm["seconds"] == 0.6
    assert warm["target"] == cold["target"] == "T5"


def test_a_failing_process_is_reported_with_its_error(monkeypatch, tmp_path):
    monkeypatch.setattr(startup.sys, "executable", "false")
    with pytest.raises(RuntimeError, match="the start-up measurement failed"):
        startup.startup_once(str(tmp_path))


def test_a_hanging_process_is_stopped(monkeypatch, tmp_path):
    def hang(*args, timeout, **kwargs):
        raise subprocess.TimeoutExpired(args[0], timeout)

    monkeypatch.setattr(startup.subprocess, "run", hang)
    with pytest.raises(RuntimeError, match="took over 5 s and was stopped"):
        startup.startup_once(str(tmp_path), timeout=5)


def _cache_files(folder):
    return {(p.name, p.stat().st_mtime_ns) for p in folder.rglob("*") if p.is_file()}


@pytest.mark.slow
def test_a_cold_cache_compiles_and_a_warm_one_loads(tmp_path):
    _, cold, _ = startup.startup_once(str(tmp_path))
    compiled = _cache_files(tmp_path)
    assert any(name.endswith(".nbi") for name, _ in compiled)  # the cold run filled the cache
    _, warm, _ = startup.startup_once(str(tmp_path))
    assert _cache_files(tmp_path) == compiled  # the warm run compiled (wrote) nothing
    assert set(cold) == set(warm) == {"numpy", "fastmlp", "first", "steady"}


def test_compile_times_split_nested_compilations():
    events = [(0.0, "START", "outer"), (1.0, "START", "inner"), (3.0, "END", "inner"),
              (3.5, "START", "inner"), (4.0, "END", "inner"), (6.0, "END", "outer"),
              (7.0, "START", "alone"), (7.5, "END", "alone")]
    times = startup.compile_times(events)
    assert times["outer"] == {"compiles": 1, "inclusive": 6.0, "exclusive": 3.5}
    assert times["inner"] == {"compiles": 2, "inclusive": 0.0, "exclusive": 2.5}
    assert times["alone"] == {"compiles": 1, "inclusive": 0.5, "exclusive": 0.5}
    assert sum(t["exclusive"] for t in times.values()) == 6.5  # all compile time, once


@pytest.mark.parametrize("events", [
    [(0.0, "START", "a"), (1.0, "END", "b")],
    [(0.0, "START", "a")],
])
def test_compile_times_refuse_a_broken_log(events):
    with pytest.raises(ValueError, match="compile events"):
        startup.compile_times(events)


def test_the_profile_prints_the_costliest_functions_first(monkeypatch):
    import io
    import json

    log = [[0.0, "START", "m.outer"], [1.0, "START", "m.inner"], [4.0, "END", "m.inner"],
           [5.0, "END", "m.outer"]]

    def fake_run(argv, env, **kwargs):
        assert env["NUMBA_CACHE_DIR"] and "install_recorder" in argv[-1]
        return subprocess.CompletedProcess(argv, 0, json.dumps({"first": 5.5, "events": log}),
                                           "")

    monkeypatch.setattr(startup.subprocess, "run", fake_run)
    out = io.StringIO()
    first, times = startup.compile_profile(top=5, out=out)
    lines = out.getvalue().splitlines()
    assert first == 5.5 and times["m.inner"]["exclusive"] == 3.0
    assert lines[0] == "cold first fit 5.50 s; compiling 5.00 s in 2 compilations of 2 functions"
    assert [line.split()[:4] for line in lines[2:]] == [["m.inner", "1", "3.00", "0.00"],
                                                         ["m.outer", "1", "2.00", "5.00"]]
