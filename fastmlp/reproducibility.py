"""Reproducible runs: what a bit-identical run needs, and pinning its thread count.

A run is reproducible bit for bit only when everything that decides how its sums are
rounded is the same: the seed, the backend, the dtype, the BLAS library and the kernel it
picked for the CPU, the number of BLAS threads, and the fastmlp, NumPy and Numba versions.
The thread count is the one that changes silently: BLAS splits a matrix product over its
threads, and with another split the partial sums add up in another order. Training
784-128-10 for 3 epochs gave weights 0.14 apart with one BLAS thread and with two.

:func:`threads` pins the count for a block of code::

    with fastmlp.threads(1):
        model.fit(X, y, epochs=3)

It caps every BLAS library loaded in the process (NumPy's and SciPy's: the Numba kernels
multiply through NumPy's own when it has one, else SciPy's) with threadpoolctl, and Numba's
own thread pool, which only the numerical gradients use (each coordinate on one thread, so
their values do not depend on the count). The fused training kernel follows BLAS's count:
it runs on that many threads of its own, each multiplying on one BLAS thread
(:mod:`fastmlp.training.team`). :func:`thread_counts` reports the counts in effect, for a
run's log. Setting ``OPENBLAS_NUM_THREADS`` (or ``MKL_NUM_THREADS``,
``OMP_NUM_THREADS``) before Python starts pins BLAS for a whole process instead.
"""

from __future__ import annotations

import numbers

import numba
import threadpoolctl

__all__ = ["thread_counts", "threads"]


def _load_blas():
    """Load SciPy's BLAS, which the Numba kernels call when NumPy has no OpenBLAS of its own
    (and Numba's ``np.dot`` always), so that the limits reach it too."""
    import scipy.linalg.cython_blas  # noqa: F401  (imported for its side effect)


def thread_counts():
    """The thread counts in effect now.

    Returns
    -------
    dict
        ``{"blas": [(library, version, threads), ...], "numba": int}``: one entry per BLAS
        library loaded in the process (e.g. ``("openblas", "0.3.31", 2)``), and the threads
        Numba's parallel kernels use.
    """
    _load_blas()
    blas = [(pool.get("internal_api"), pool.get("version"), pool.get("num_threads"))
            for pool in threadpoolctl.threadpool_info() if pool.get("user_api") == "blas"]
    return {"blas": blas, "numba": numba.get_num_threads()}


class threads:
    """Run a block of code on at most ``n`` BLAS threads and ``n`` Numba threads.

    A context manager: the previous counts come back when the block ends, however it ends.
    Runs with the same seed, backend, dtype, BLAS library and kernel, fastmlp, NumPy and Numba
    versions and the same ``n`` give bit-identical weights; with another ``n`` they may not
    (see :mod:`fastmlp.reproducibility`). ``n`` larger than the machine's cores is allowed for BLAS;
    Numba's count cannot exceed the pool it started with (``NUMBA_NUM_THREADS``) and stops
    there.

    Parameters
    ----------
    n : int
        At least 1.

    Examples
    --------
    >>> with fastmlp.threads(1):
    ...     model.fit(X, y, epochs=3)
    """

    def __init__(self, n):
        if isinstance(n, bool) or not isinstance(n, numbers.Integral):
            raise TypeError(f"threads needs an integer number of threads, got "
                            f"{type(n).__name__} {n!r}")
        if n < 1:
            raise ValueError(f"threads needs at least 1 thread, got {n!r}")
        self.n = int(n)
        self._limits = None
        self._numba_before = None

    def __enter__(self):
        _load_blas()
        self._limits = threadpoolctl.threadpool_limits(limits=self.n, user_api="blas")
        self._numba_before = numba.get_num_threads()
        numba.set_num_threads(min(self.n, numba.config.NUMBA_NUM_THREADS))
        return self

    def __exit__(self, *exc):
        numba.set_num_threads(self._numba_before)
        self._limits.restore_original_limits()
        return False

    def __repr__(self):
        return f"threads({self.n})"
