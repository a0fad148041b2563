"""``fastmlp bench`` and ``fastmlp gradcheck`` (fastmlp.cli._tools)."""

import sys
import types

import pytest
from cli_run import assert_one_line_error, run


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
    bench.gradient_table = recorder("gradcheck")
    monkeypatch.setitem(sys.modules, "fastmlp.bench", bench)
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
    for command, name in (("bench", "run_peer_comparison"), ("gradcheck", "gradient_table")):
        code, _, err = run(capsys, command)
        assert code == 1
        assert_one_line_error(err, "needs fastmlp.", name)


def test_gradcheck_prints_the_gradient_table(capsys):
    code, out, err = run(capsys, "gradcheck", "--sizes", "2-4-2,4-8-3")
    assert code == 0, err
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("network"))
    for column in ("params", "analytic s", "numba s", "numpy s", "max rel err", "kinks"):
        assert column in lines[header]
    assert lines[header + 1].split()[:2] == ["2-4-2", "22"]
    assert lines[header + 2].split()[:2] == ["4-8-3", "67"]
