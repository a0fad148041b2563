"""The numbers README.md and docs/quickstart.md quote, from one run, with its machine.

Runs ``fastmlp train`` on Fashion-MNIST as a user would (a fresh process per run): the default
recipe with seeds 0, 1 and 2, the ``pixels`` recipe it replaced (seed 0), and 784-128-10 with
Adam on each backend for the per-epoch times (medians over the epochs, which a few epochs slowed by
other jobs on a shared machine do not move; the totals ``fastmlp train`` prints are shown too).
Prints everything, prefixed by the date, CPU, BLAS libraries with their kernels, and the load
average at the start and the end, and writes the same text to ``benchmarks/doc_numbers.txt``
(atomically), which the docs paste from.

Lines ``# quote FILE: TEXT`` at the end are the figures the docs quote in prose or tables; the
test suite checks that each TEXT is in FILE, and that every line of a pasted output block is a
line of doc_numbers.txt. Takes one to two minutes on two quiet cores; run it under the
benchmark lock, on a machine nothing else is timing on::

    flock /tmp/fastmlp-bench.lock python benchmarks/doc_numbers.py
"""

import argparse
import datetime
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from fastmlp.bench.machine import load_average, machine_lines

OUT = Path(__file__).resolve().with_name("doc_numbers.txt")
DEFAULT = ["train", "--dataset", "fashion-mnist", "--no-progress"]
PIXELS = [*DEFAULT, "--recipe", "pixels"]
ONE_LAYER = [*PIXELS, "--layers", "128",
             "--optimizer", "adam", "--lr", "1e-3", "--weight-decay", "0", "--schedule",
             "none", "--epochs", "3", "--validation-split", "0"]


def fastmlp(args):
    """Run ``fastmlp ARGS`` in a fresh process: (command line, what it printed)."""
    result = subprocess.run([sys.executable, "-m", "fastmlp", *args], capture_output=True,
                            text=True, check=True)
    return "$ fastmlp " + " ".join(args), result.stdout.rstrip("\n")


def value(text, label):
    """The figure after ``label`` on its own line of ``fastmlp train``'s summary."""
    return re.search(rf"^{label}\s+(\S+)", text, re.MULTILINE).group(1)


def epoch_seconds(text):
    """Seconds of each epoch line, as printed."""
    return re.findall(r"seconds (\S+)s$", text, re.MULTILINE)


def median_epoch(text):
    """The median of the epoch times, as printed (robust to a few epochs slowed by load)."""
    return f"{statistics.median(float(s) for s in epoch_seconds(text)):.2f}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUT, help="where to write the text")
    args = parser.parse_args(argv)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"# doc numbers, {stamp}", *machine_lines(),
             f"# load average (1, 5, 15 min) at the start: {load_average()}"]

    def show(run):
        command, text = run
        lines.extend(["", command, text])
        return text

    seed0 = show(fastmlp(DEFAULT))
    seeds = [show(fastmlp([*DEFAULT, "--seed", s])) for s in ("1", "2")]
    pixels = show(fastmlp(PIXELS))
    numba = show(fastmlp([*ONE_LAYER, "--backend", "numba"]))
    numpy = show(fastmlp([*ONE_LAYER, "--backend", "numpy"]))
    lines.append("")
    lines.append(f"# load average (1, 5, 15 min) at the end: {load_average()}")

    acc, med, epochs = value(seed0, "test accuracy"), median_epoch(seed0), len(epoch_seconds(seed0))
    others = " and ".join(value(t, "test accuracy") for t in seeds)
    quotes = [
        ("README.md", f"test accuracy {acc}, {med} s per epoch (median of {epochs})"),
        ("README.md", others),
        ("README.md", f"test accuracy {value(pixels, 'test accuracy')}, "
                      f"{median_epoch(pixels)} s per epoch"),
        ("README.md", f"{epoch_seconds(numba)[-1]} s per epoch"),
        ("README.md", f"{value(numba, 'test accuracy')} test accuracy after 3 epochs"),
        ("README.md", f"{epoch_seconds(numpy)[-1]} s per epoch"),
        ("docs/quickstart.md", f"gave {acc}, {others}"),
        ("docs/quickstart.md", f"the pixels recipe gave {value(pixels, 'test accuracy')} in "
                               f"{value(pixels, 'train time')} s"),
    ]
    lines += [f"# quote {doc}: {text}" for doc, text in quotes]
    text = "\n".join(lines) + "\n"
    print(text, end="")
    with tempfile.NamedTemporaryFile("w", dir=args.output.parent, delete=False,
                                     prefix=".doc_numbers-", encoding="utf-8") as tmp:
        tmp.write(text)
    os.chmod(tmp.name, 0o644)
    os.replace(tmp.name, args.output)


if __name__ == "__main__":
    main()
