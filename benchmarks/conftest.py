"""Fixtures shared by the benchmark suites (collected only by ``pytest benchmarks``)."""

import pytest


@pytest.fixture
def timed(benchmark):
    """``timed(fn, *args)``: call ``fn`` once untimed, then benchmark it.

    The untimed call compiles the Numba kernels for these argument types (or loads them from
    the cache), so compile time never reaches the statistics.
    """

    def run(fn, *args, **kwargs):
        fn(*args, **kwargs)
        return benchmark(fn, *args, **kwargs)

    return run
