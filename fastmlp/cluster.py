"""fastmlp on a Dask cluster: how many threads each worker's computations use.

A worker process runs ``threads_per_worker`` tasks at once, and each task's matrix products
run on BLAS threads. Their product must not exceed the cores the worker owns, or the threads
fight over them and everything slows down. Dask's nannies start worker processes with one
BLAS thread (``OPENBLAS_NUM_THREADS=1`` and friends); :func:`limit_worker_threads` sets
another count in every worker, now and in workers that join later, and
:func:`worker_threads` reports what each worker has. fastmlp's training kernels are
single-threaded; only numerical gradients run Numba threads, set with ``NUMBA_NUM_THREADS``
in the workers' environment before they start.

Needs ``pip install "fastmlp[dask]"``.
"""

from __future__ import annotations

import numbers

try:
    import threadpoolctl
    from distributed.diagnostics.plugin import WorkerPlugin
except ImportError as err:  # pragma: no cover - exercised only without the extra
    raise ImportError('fastmlp.cluster needs Dask\'s distributed scheduler; install it with '
                      'pip install "fastmlp[dask]"') from err

_PLUGIN_NAME = "fastmlp-blas-threads"


class BlasThreads(WorkerPlugin):
    """A worker plugin that caps the BLAS thread pools of each worker process.

    Parameters
    ----------
    threads : int
        BLAS threads per worker process (all its tasks share them).
    """

    idempotent = False

    def __init__(self, threads):
        self.threads = threads

    def setup(self, worker):
        # threadpool_limits outside a with-block keeps the limit for the life of the process.
        threadpoolctl.threadpool_limits(limits=self.threads, user_api="blas")


def _thread_counts():
    import numba

    blas = [pool["num_threads"] for pool in threadpoolctl.threadpool_info()
            if pool["user_api"] == "blas"]
    return {"blas": max(blas) if blas else 0, "numba": numba.config.NUMBA_NUM_THREADS}


def worker_threads(client):
    """The thread counts of each worker of ``client``'s cluster.

    Returns
    -------
    dict
        ``{worker address: {"blas": int, "numba": int}}``: the largest BLAS pool of the
        worker process and the size of its Numba thread pool.
    """
    return client.run(_thread_counts)


def limit_worker_threads(client, blas_threads=1):
    """Cap the BLAS threads of every worker process of ``client``'s cluster.

    Set it so that ``threads_per_worker * blas_threads`` is at most the cores each worker
    owns: one BLAS thread per task for sweeps of many small fits (the default, and Dask's),
    more for a few large networks on a worker with one task thread.

    Parameters
    ----------
    client : distributed.Client
    blas_threads : int
        BLAS threads per worker process, at least 1.

    Returns
    -------
    dict
        :func:`worker_threads` after the change.
    """
    if (isinstance(blas_threads, bool) or not isinstance(blas_threads, numbers.Integral)
            or blas_threads < 1):
        raise ValueError(f"blas_threads must be an integer >= 1, got {blas_threads!r}")
    client.register_plugin(BlasThreads(int(blas_threads)), name=_PLUGIN_NAME)
    return worker_threads(client)
