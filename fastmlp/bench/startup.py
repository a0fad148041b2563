"""What start-up adds to a first ``fit`` (target T5): fresh processes, Numba cache cold and warm.

A fresh ``python`` process imports fastmlp and fits 784-128-10 on 2,048 synthetic rows; "added"
is the import time plus the first fit less the best of three later fits. Cold runs point
``NUMBA_CACHE_DIR`` at an empty directory, warm runs at the same directory again.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

_STARTUP_SCRIPT = """
import json, time
t0 = time.perf_counter()
import numpy as np
t1 = time.perf_counter()
import fastmlp
t2 = time.perf_counter()
rng = np.random.default_rng(0)
X = rng.random((2048, 784), dtype=np.float32)
y = rng.integers(0, 10, 2048)
def fit():
    model = fastmlp.MLP([784, 128, 10], seed=0)
    start = time.perf_counter()
    model.fit(X, y, epochs=1, batch_size=128, optimizer=fastmlp.Adam(1e-3), verbose=0)
    return time.perf_counter() - start
first = fit()
steady = min(fit() for _ in range(3))
print(json.dumps({"numpy": t1 - t0, "fastmlp": t2 - t1, "first": first, "steady": steady}))
"""


def startup_once(cache_dir, timeout=900):
    """Run the start-up script once in a fresh process with ``NUMBA_CACHE_DIR=cache_dir``.

    Parameters
    ----------
    cache_dir : str
        Numba's cache directory for that process (empty: a cold start).
    timeout : float
        Seconds before the process is given up on.

    Returns
    -------
    added : float
        Seconds start-up added: import fastmlp + first fit - steady fit.
    times : dict
        ``numpy``, ``fastmlp`` (import times), ``first`` and ``steady`` (fit times), seconds.
    wall : float
        The whole process, Python start-up included.

    Raises
    ------
    RuntimeError
        The process failed or timed out; the message holds the end of its error output.
    """
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    start = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, "-c", _STARTUP_SCRIPT], env=env,
                              capture_output=True, text=True, timeout=timeout, check=True)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"the start-up measurement took over {timeout:g} s and was "
                           f"stopped") from None
    except subprocess.CalledProcessError as err:
        raise RuntimeError(f"the start-up measurement failed:\n{err.stderr[-2000:]}") from None
    wall = time.perf_counter() - start
    times = json.loads(done.stdout.strip().splitlines()[-1])
    # What start-up adds: importing fastmlp (numba, scipy) plus the first fit's extra time.
    return times["fastmlp"] + times["first"] - times["steady"], times, wall


def startup_rows(repeats, once=startup_once):
    """T5 rows: per repeat a cold then a warm process, each in a fresh temporary cache.

    Parameters
    ----------
    repeats : int
        Cold/warm pairs.
    once : callable
        ``once(cache_dir) -> (added, times, wall)``, :func:`startup_once` by default.

    Returns
    -------
    list of dict
        Two table rows (cold, then warm) with ``target, size, impl, unit, seconds`` (median
        added seconds), ``runs`` and ``data`` (the median run's parts).
    """
    runs = {"cold cache": [], "warm cache": []}
    for _ in range(repeats):
        with tempfile.TemporaryDirectory(prefix="fastmlp-numba-cache-") as cache_dir:
            runs["cold cache"].append(once(cache_dir))
            runs["warm cache"].append(once(cache_dir))
    rows = []
    for label, results in runs.items():
        added = [a for a, _, _ in results]
        i = added.index(sorted(added)[len(added) // 2])  # the median run, for its details
        _, t, wall = results[i]
        rows.append({"target": "T5", "size": "784-128-10", "impl": f"fastmlp numba, {label}",
                     "unit": "s", "seconds": statistics.median(added), "runs": added,
                     "data": f"import {t['fastmlp']:.2f}s + first fit {t['first']:.2f}s - "
                             f"steady {t['steady']:.2f}s; process {wall:.1f}s"})
    return rows
