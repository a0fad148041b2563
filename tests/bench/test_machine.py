"""The machine lines every benchmark table starts with."""

import os

from fastmlp.bench import machine


def test_machine_info_names_cpu_blas_and_versions():
    info = machine.machine_info()
    assert set(info) == {"cpu", "cores", "blas", "versions"}
    assert int(info["cores"]) == machine.cores() >= 1
    assert "numpy" in info["versions"] and "numba" in info["versions"]
    assert info["blas"]  # the libraries found, or where to look


def test_pinned_openblas_settings_are_reported(monkeypatch):
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")
    assert "OPENBLAS_CORETYPE=Haswell" in machine.machine_info()["blas"]


def test_machine_lines_are_comments_holding_the_info():
    info = {"cpu": "CPU X", "cores": "2", "blas": "openblas Y", "versions": "numpy 9"}
    assert machine.machine_lines(info) == ["# cpu: CPU X, 2 cores; blas: openblas Y",
                                           "# numpy 9"]


def test_gemm_rate_is_a_positive_rate():
    assert machine.gemm_gflops(n=64, repeats=2) > 0


def test_load_average_and_optional_modules(monkeypatch):
    parts = machine.load_average().split()
    assert len(parts) == 3 and all(float(p) >= 0 for p in parts)
    monkeypatch.delattr(os, "getloadavg")
    assert machine.load_average() == "unknown"
    assert machine.optional("numpy") is not None
    assert machine.optional("no_such_module_for_fastmlp") is None
