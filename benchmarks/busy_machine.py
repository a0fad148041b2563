"""An epoch on a busy machine: fit with another process busy on one of the cores, against idle.

    python benchmarks/busy_machine.py                      # 784-128-10, 5 rounds, with PyTorch
    python benchmarks/busy_machine.py --sizes 784-512-512-10 --rounds 3
    python benchmarks/busy_machine.py --checkouts ../before . --no-torch

Users train beside other work: a browser, a build, another fit. On two cores, one process
that keeps a core busy takes half of the machine, and a team of threads that meets at
barriers every step waits at each for the member sharing that core. This times an epoch on
all 60,000 Fashion-MNIST rows at batch 128 (Adam, float32; synthetic rows where the dataset
is missing) as the peer comparison's T1 and T2 do (a first fit on 1,024 rows, then a 3-epoch
run over 3), in a fresh process per run: first on the idle machine, then with a busy-loop
process (``while True: pass``) running beside, the arms interleaved round by round: fastmlp
from each of ``--checkouts`` (default: the fastmlp this Python imports), and PyTorch's
idiomatic loop on two threads (``torch.set_num_threads(2)``). Run it alone on the machine:
the busy loop is the only load meant.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import warnings

from fastmlp.bench.machine import load_average, machine_info, machine_lines

#: Epochs a timed run trains, after a first fit on 1,024 rows (compiling, set-up).
EPOCHS = 3


def child(system, size):
    """One run, in this (fresh) process: print the time per epoch in milliseconds, as the
    peer comparison takes it (:mod:`fastmlp.bench.peers`' trainers)."""
    from fastmlp.bench import peers
    from fastmlp.bench.sizes import parse_size
    from fastmlp.training.health import DivergenceWarning

    sizes = parse_size(size)
    with open(os.devnull, "w") as quiet:
        X, y, X_test, y_test, _ = peers.dataset(sizes, None, quiet)
    if system == "pytorch":
        import torch

        torch.set_num_threads(2)
        train = peers._train_torch
    else:
        train = peers._train_fastmlp("numba")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DivergenceWarning)  # synthetic rows may not learn
        train(sizes, X[:1024], y[:1024], X_test, y_test, 1, 0)
        seconds, _ = train(sizes, X, y, X_test, y_test, EPOCHS, 0)
    print(f"{seconds / EPOCHS * 1000:.1f}")


def _run(arm, size, caches):
    """The time per epoch (ms) of one fresh process of ``arm``: ("fastmlp", checkout) or
    ("pytorch", None)."""
    system, checkout = arm
    env = dict(os.environ)
    if checkout is not None:
        env["PYTHONPATH"] = os.path.abspath(checkout)
        env["NUMBA_CACHE_DIR"] = caches[checkout]
    done = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", system, size],
                          env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"{system} {checkout or ''} failed:\n{done.stderr[-3000:]}")
    return float(done.stdout.split()[-1])


def _busy_loop():
    return subprocess.Popen([sys.executable, "-c", "while True: pass"])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["784-128-10"])
    parser.add_argument("--rounds", type=int, default=5, help="runs of each arm, per state")
    parser.add_argument("--checkouts", nargs="+", metavar="DIR",
                        help="fastmlp checkouts to compare (default: the one imported)")
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out")
    parser.add_argument("--child", nargs=2, metavar=("SYSTEM", "SIZE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(*args.child)
        return
    checkouts = args.checkouts or [None]
    arms = [("fastmlp", c) for c in checkouts] + ([] if args.no_torch else [("pytorch", None)])
    names = {arm: arm[0] if arm[1] is None else f"fastmlp {arm[1]}" for arm in arms}
    print(f"# an epoch on a busy machine: {EPOCHS}-epoch runs in fresh processes, time per "
          f"epoch, idle, then beside one busy-loop process; {args.rounds} rounds, arms "
          f"interleaved")
    for line in machine_lines(machine_info()):
        print(line)
    print(f"# load average (1, 5, 15 min): {load_average()} at start", flush=True)
    with tempfile.TemporaryDirectory(prefix="fastmlp-busy-") as root:
        caches = {c: tempfile.mkdtemp(dir=root) for c in checkouts if c is not None}
        for size in args.sizes:
            for arm in arms:
                _run(arm, size, caches)  # compiles into the arm's cache; not timed
            for busy in (False, True):
                loop = _busy_loop() if busy else None
                times = {arm: [] for arm in arms}
                try:
                    for r in range(args.rounds):
                        for arm in (arms if r % 2 == 0 else arms[::-1]):
                            times[arm].append(_run(arm, size, caches))
                finally:
                    if loop is not None:
                        loop.kill()
                        loop.wait()
                state = "beside a busy-loop process" if busy else "idle"
                for arm in arms:
                    runs = " ".join(f"{t:.0f}" for t in times[arm])
                    print(f"{size} {state:26s} {names[arm]:24s} "
                          f"{statistics.median(times[arm]):8.1f} ms/epoch  (runs {runs})",
                          flush=True)
    print(f"# load average at end: {load_average()}")


if __name__ == "__main__":
    main()
