"""The gradient timing table (``fastmlp gradcheck``), run for real on tiny sizes."""

import io

from fastmlp import Dense, ReLU, Sequential, Tanh
from fastmlp import gradients as core_gradients
from fastmlp.bench import gradient_timing

ROW_KEYS = {"network", "params", "source", "analytic_s", "numba_s", "numpy_s", "numpy_coords",
            "numpy_subset", "numba_over_analytic", "numpy_over_numba", "max_error",
            "max_error_resolved", "kinks", "floor", "diff_over_floor", "numba_vs_numpy"}


def test_gradient_table_on_tiny_sizes():
    out = io.StringIO()
    rows = gradient_timing.gradient_table(sizes=[(2, 4, 2), (4, 8, 3)], repeats=1, out=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("batch 64, h = 1e-05, float64") and "load average" in lines[0]
    assert lines[1].split()[:5] == ["network", "params", "analytic", "s", "numba"]
    assert lines[2].split()[:2] == ["2-4-2", "22"]
    assert lines[3].split()[:2] == ["4-8-3", "67"]
    assert "(subset)" not in "\n".join(lines[2:4])
    assert [row["network"] for row in rows] == ["2-4-2", "4-8-3"]
    for row, params in zip(rows, (22, 67)):
        assert set(row) == ROW_KEYS
        assert row["params"] == row["numpy_coords"] == params
        assert not row["numpy_subset"]
        assert row["source"] == "synthetic, 50% zeros"
        assert row["max_error_resolved"] <= 1e-6
        assert row["numba_vs_numpy"] <= 1.0  # the two paths agree to the rounding floor
        assert min(row["analytic_s"], row["numba_s"], row["numpy_s"]) > 0


def test_gradient_table_scales_the_reference_from_a_subset(monkeypatch):
    monkeypatch.setattr(gradient_timing, "FULL_REFERENCE_UP_TO", 10)
    out = io.StringIO()
    (row,) = gradient_timing.gradient_table(sizes=["4-8-3"], repeats=1, subset=20, out=out)
    assert row["numpy_subset"] and row["numpy_coords"] == 20
    assert "(subset)" in out.getvalue().splitlines()[2]
    assert row["numba_vs_numpy"] <= 1.0  # the subset lines up with the right coordinates


def test_reference_coordinates_name_the_same_parameter_in_both_numberings():
    model = Sequential([Dense(3, 4), Tanh(), Dense(4, 5, bias=False), ReLU(), Dense(5, 2)],
                       dtype="float64", seed=0)
    weights, biases, _, _ = core_gradients.network_spec(model)
    spec_arrays, params = weights + biases, model.parameters()
    spec, mine = gradient_timing.reference_coordinates(model)
    assert len(spec) == model.count_params()
    assert all(k != 4 for k, _ in spec)  # the bias-free layer's zeros are not parameters
    for (k, idx), (m, idx_m) in zip(spec, mine):
        assert idx == idx_m and spec_arrays[k][idx] == params[m][idx]
    some, _ = gradient_timing.reference_coordinates(model, count=7, seed=1)
    assert len(some) == 7 and len(set(some)) == 7 and set(some) <= set(spec)
