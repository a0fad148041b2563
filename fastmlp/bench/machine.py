"""What a benchmark figure depends on: CPU, BLAS libraries and kernels, threads, versions, load.

Every table the harness prints starts with :func:`machine_lines`, so a number is never quoted
without the machine that produced it. :func:`gemm_gflops` is the large-GEMM rate that
efficiencies are measured against.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from importlib import metadata

import numpy as np


def optional(name):
    """The module ``name``, or None when it is not installed."""
    try:
        return __import__(name)
    except ImportError:
        return None


def cores():
    """CPU cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def load_average():
    """The 1, 5 and 15 minute load averages as ``"0.99 0.53 0.22"`` (``"unknown"`` if none)."""
    if not hasattr(os, "getloadavg"):
        return "unknown"
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def gemm_gflops(n=2048, repeats=5):
    """Median GFLOP/s of a float32 ``n x n x n`` matrix product through NumPy's BLAS.

    Parameters
    ----------
    n : int
        Matrix side.
    repeats : int
        Timed products (after one untimed product that starts BLAS's threads).

    Returns
    -------
    float
    """
    a = np.random.default_rng(0).random((n, n), dtype=np.float32)
    b, c = a.copy(), np.empty_like(a)
    np.dot(a, b, out=c)  # the first call pays for thread start-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        np.dot(a, b, out=c)
        times.append(time.perf_counter() - start)
    return 2 * n**3 / statistics.median(times) / 1e9


def _cpu():
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            fields = dict(line.split(":", 1) for line in f.read().split("\n\n")[0].splitlines()
                          if ":" in line)
        fields = {k.strip(): v.strip() for k, v in fields.items()}
        cpu = (f"{fields['model name']} (family {fields.get('cpu family', '?')} model "
               f"{fields.get('model', '?')}, {fields.get('cpu MHz', '?')} MHz)")
    except (OSError, KeyError, ValueError):
        pass
    return cpu


def _blas():
    try:
        import scipy.linalg.cython_blas  # noqa: F401 - loads the BLAS Numba's np.dot calls
        from threadpoolctl import threadpool_info

        blas = "; ".join(f"{i['internal_api']} {i['version']} {i.get('architecture', '')} "
                         f"{i['num_threads']} threads ({os.path.basename(i['filepath'])})"
                         for i in threadpool_info() if i["user_api"] == "blas")
    except ImportError:
        blas = "see numpy.show_config()"
    # The environment can pin OpenBLAS's kernels (e.g. Haswell's AVX2 on an AVX-512 CPU).
    pinned = {k: v for k, v in os.environ.items() if k.startswith("OPENBLAS_")}
    if pinned:
        blas += "; " + " ".join(f"{k}={v}" for k, v in sorted(pinned.items()))
    return blas


def machine_info():
    """CPU model, usable cores, BLAS libraries and library versions.

    Returns
    -------
    dict of str
        Keys ``cpu``, ``cores``, ``blas`` (each BLAS library loaded, with its kernel
        architecture, threads and any ``OPENBLAS_*`` setting) and ``versions``.
    """
    import numba

    versions = {"python": platform.python_version(), "numpy": np.__version__,
                "numba": numba.__version__}
    for name, dist in (("torch", "torch"), ("sklearn", "scikit-learn")):
        try:  # the installed version, without paying for an import of the library
            versions[name] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    torch = sys.modules.get("torch")
    if torch is not None and torch.backends.mkl.is_available():
        versions["torch"] += " (MKL)"  # known once the peer trainers have loaded torch
    return {"cpu": _cpu(), "cores": str(cores()), "blas": _blas(),
            "versions": ", ".join(f"{k} {v}" for k, v in versions.items())}


def machine_lines(info=None):
    """The two ``#`` lines naming the machine, for the top of a printed table.

    Parameters
    ----------
    info : dict, optional
        From :func:`machine_info` (measured when not given).

    Returns
    -------
    list of str
    """
    info = machine_info() if info is None else info
    return [f"# cpu: {info['cpu']}, {info['cores']} cores; blas: {info['blas']}",
            f"# {info['versions']}"]
