"""Analytic against numerical gradients, per network size and backend.

The problems are those of ``fastmlp gradcheck``
(``fastmlp.bench.gradient_timing.gradient_problem``): ReLU hidden layers, softmax
cross-entropy, float64, batch 64, Fashion-MNIST rows for the 784-input sizes when on disk. Per size:

- ``method=analytic``: backprop, on each backend;
- ``method=numerical``: central differences over every parameter: the Numba path on every
  size, the NumPy reference loop up to ``FULL_REFERENCE_UP_TO`` parameters;
- ``method=numerical-subset200``: the reference loop on the larger sizes, over a fixed set of
  200 random coordinates (``central_differences``). Multiply its time by
  ``extra_info["scale_to_all"]`` (parameters / 200) to compare with a full numerical gradient.

Run ``pytest benchmarks/test_bench_gradients.py --benchmark-group-by=param:size`` to see the
methods and backends of one size side by side.
"""

import pytest
from cases import GRADIENT_SIZES

from fastmlp.backends import numpy_ops
from fastmlp.bench.gradient_timing import (
    FULL_REFERENCE_UP_TO,
    gradient_problem,
    reference_coordinates,
)
from fastmlp.gradients import analytic_gradients, network_spec, numerical_gradients

BATCH = 64
SUBSET = 200


def _params(name):
    widths = [int(w) for w in name.split("-")]
    return sum(a * b + b for a, b in zip(widths[:-1], widths[1:]))


def _cases():
    for size in GRADIENT_SIZES:
        reference = ("numerical" if _params(size) <= FULL_REFERENCE_UP_TO
                     else f"numerical-subset{SUBSET}")
        for method, backend in (("analytic", "numpy"), ("analytic", "numba"),
                                (reference, "numpy"), ("numerical", "numba")):
            yield pytest.param(size, method, backend,
                               id=f"size={size}-method={method}-backend={backend}")


@pytest.mark.parametrize(("size", "method", "backend"), list(_cases()))
def test_gradients(timed, benchmark, size, method, backend):
    model, X, y, source = gradient_problem(size, batch=BATCH)
    model.to_backend(backend)
    benchmark.extra_info.update(params=model.count_params(), batch=BATCH, inputs=source)
    if method == "analytic":
        timed(analytic_gradients, model, X, y)
    elif method == "numerical":
        timed(numerical_gradients, model, X, y)
    else:
        coords, _ = reference_coordinates(model, SUBSET, seed=0)
        benchmark.extra_info.update(coordinates=len(coords),
                                    scale_to_all=model.count_params() / len(coords))
        timed(numpy_ops.central_differences, X, y, *network_spec(model), model.loss,
              1e-5, coords)
