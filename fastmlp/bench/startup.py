"""What start-up adds to a first ``fit`` (target T5): fresh processes, Numba cache cold and warm.

A fresh ``python`` process imports fastmlp and fits 784-128-10 on 2,048 synthetic rows; "added"
is the import time plus the first fit less the best of three later fits. Cold runs point
``NUMBA_CACHE_DIR`` at an empty directory, warm runs at the same directory again.
:func:`compile_profile` says where a cold start's time goes: Numba's compile events of the
first ``fit``, per compiled function, with and without the functions it compiled on the way.
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


_PROFILE_SCRIPT = """
import json, sys, time
import numpy as np
import numba.core.event as events
import fastmlp
rng = np.random.default_rng(0)
X = rng.random((512, 784), dtype=np.float32)
y = rng.integers(0, 10, 512)
with events.install_recorder("numba:compile") as recorder:
    start = time.perf_counter()
    fastmlp.MLP([784, 128, 10], seed=0).fit(X, y, epochs=1, batch_size=128,
                                            optimizer=fastmlp.Adam(1e-3), verbose=0)
    first = time.perf_counter() - start
log = []
for stamp, event in recorder.buffer:
    fn = event.data["dispatcher"].py_func
    log.append([stamp, event.status.name, f"{fn.__module__}.{fn.__qualname__}"])
print(json.dumps({"first": first, "events": log}))
"""


def compile_times(events):
    """Seconds of compilation per function from nested START/END compile events.

    Parameters
    ----------
    events : list of (timestamp, "START" or "END", name)
        In the order Numba emitted them (compiling one function may compile others inside).

    Returns
    -------
    dict of str to dict
        Per function name: ``compiles`` (specialisations built), ``inclusive`` (seconds from
        start to end, callees included) and ``exclusive`` (the same without the callees it
        compiled meanwhile).
    """
    stack, times = [], {}
    for stamp, status, name in events:
        if status == "START":
            stack.append([name, stamp, 0.0])
            continue
        open_name, begun, inside = stack.pop()
        if open_name != name:
            raise ValueError(f"compile events out of order: {name} ended inside {open_name}")
        took = stamp - begun
        entry = times.setdefault(name, {"compiles": 0, "inclusive": 0.0, "exclusive": 0.0})
        entry["compiles"] += 1
        entry["exclusive"] += took - inside
        if stack:
            stack[-1][2] += took
        else:
            entry["inclusive"] += took  # only outermost spans: nested ones are counted above
    if stack:
        raise ValueError(f"compile events never ended: {[entry[0] for entry in stack]}")
    return times


def compile_profile(top=15, timeout=900, out=None):
    """Profile a cold first ``fit`` (784-128-10, Adam) in a fresh process; print the top.

    Parameters
    ----------
    top : int
        Functions to list, by exclusive compile time.
    timeout : float
    out : file-like, optional

    Returns
    -------
    first : float
        Seconds of the first ``fit``, compilation included.
    times : dict
        :func:`compile_times` of its compile events.
    """
    out = out or sys.stdout  # looked up per call: tests swap sys.stdout
    with tempfile.TemporaryDirectory(prefix="fastmlp-numba-cache-") as cache_dir:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
        try:
            done = subprocess.run([sys.executable, "-c", _PROFILE_SCRIPT], env=env,
                                  capture_output=True, text=True, timeout=timeout, check=True)
        except subprocess.CalledProcessError as err:
            raise RuntimeError(f"the compile profile failed:\n{err.stderr[-2000:]}") from None
    result = json.loads(done.stdout.strip().splitlines()[-1])
    times = compile_times(result["events"])
    total = sum(t["exclusive"] for t in times.values())
    print(f"cold first fit {result['first']:.2f} s; compiling {total:.2f} s in "
          f"{sum(t['compiles'] for t in times.values())} compilations of {len(times)} "
          f"functions", file=out)
    print(f"{'function':64s}{'compiles':>9s}{'own s':>8s}{'with callees s':>16s}", file=out)
    ranked = sorted(times.items(), key=lambda item: -item[1]["exclusive"])
    for name, t in ranked[:top]:
        print(f"{name[-64:]:64s}{t['compiles']:>9d}{t['exclusive']:>8.2f}"
              f"{t['inclusive']:>16.2f}", file=out)
    return result["first"], times
