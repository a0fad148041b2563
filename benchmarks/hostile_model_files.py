"""Time and memory that fastmlp.load takes to refuse hostile model files (issue 9, item 8).

    python benchmarks/hostile_model_files.py

Builds the review's hostile files in a temporary folder: a small real model whose header
claims Dense(20000, 20000), the same claiming Dense(100000, 100000), a header of 100,000
nested ``[``, a .npy preamble claiming 1.6 GB with nothing behind it, and a 3 MB zip bomb
whose member inflates to 3.2 GB. Each is loaded in a fresh process (after ``import
fastmlp``), which reports the wall time of ``fastmlp.load``, the growth of its peak resident
memory (``ru_maxrss``) and the peak of Python/NumPy allocations (``tracemalloc``), and the
error's first words. Building the bomb compresses 3.2 GB of zeros (a few seconds of CPU):
run it under the suite lock on a shared machine.
"""

import io
import json
import os
import subprocess
import sys
import tempfile
import zipfile

import numpy as np

import fastmlp
from fastmlp.serialization import read, write

CHILD = """
import json, resource, sys, time, tracemalloc
import fastmlp
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
tracemalloc.start()
start = time.perf_counter()
try:
    fastmlp.load(sys.argv[1])
    outcome = "LOADED"
except fastmlp.ModelFileError as err:
    outcome = "ModelFileError: " + str(err).split(": ", 1)[-1]
except BaseException as err:
    outcome = f"{type(err).__name__}: {err}"
seconds = time.perf_counter() - start
traced = tracemalloc.get_traced_memory()[1]
grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(json.dumps({"seconds": seconds, "rss_kb": grown, "traced": traced,
                  "outcome": outcome}))
"""


def claiming(folder, width):
    """A real 64-32-10 model whose header says its first layer is Dense(width, width)."""
    path = os.path.join(folder, f"claim-{width}.npz")
    fastmlp.MLP([64, 32, 10], seed=0).save(path)
    header, arrays = read(path)
    config = header["config"]
    config["layers"][0].update(n_in=width, n_out=width)
    config["layers"][2].update(n_in=width)
    write(path, {"config": config}, arrays)
    return path


def nested(folder, depth=100_000):
    body = b'{"format": "fastmlp-model", "format_version": 1, "x": ' + b"[" * depth
    path = os.path.join(folder, "nested.npz")
    with zipfile.ZipFile(path, "w") as archive, archive.open("header.npy", "w") as member:
        np.lib.format.write_array(member, np.frombuffer(body, dtype=np.uint8))
    return path


def npy_claim(folder):
    """A header and a .npy preamble claiming a 20000 x 20000 float32 array, and no data."""
    header = {"format": "fastmlp-model", "format_version": 1, "fastmlp_version": "0.1.0",
              "config": {}, "arrays": {"param_0": {"shape": [20000, 20000],
                                                   "dtype": "float32"}}}
    preamble = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        preamble, {"descr": "<f4", "fortran_order": False, "shape": (20000, 20000)})
    path = os.path.join(folder, "npy-claim.npz")
    with zipfile.ZipFile(path, "w") as archive:
        with archive.open("header.npy", "w") as member:
            raw = json.dumps(header).encode()
            np.lib.format.write_array(member, np.frombuffer(raw, dtype=np.uint8))
        archive.writestr("param_0.npy", preamble.getvalue())
    return path


def zip_bomb(folder, gigabytes=3.2):
    """A deflated header member that inflates to ``gigabytes`` of zeros (a consistent .npy)."""
    n = int(gigabytes * 1e9)
    preamble = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        preamble, {"descr": "|u1", "fortran_order": False, "shape": (n,)})
    path = os.path.join(folder, "zip-bomb.npz")
    zeros = bytes(2**24)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open("header.npy", "w", force_zip64=True) as member:
            member.write(preamble.getvalue())
            left = n
            while left:
                member.write(zeros[:min(left, len(zeros))])
                left -= min(left, len(zeros))
    return path


def main():
    with tempfile.TemporaryDirectory() as folder:
        files = [claiming(folder, 20_000), claiming(folder, 100_000), nested(folder),
                 npy_claim(folder), zip_bomb(folder)]
        print(f"{'file':<16} {'size':>10} {'seconds':>8} {'peak RSS +':>11} {'traced':>9}  "
              f"outcome")
        for path in files:
            done = subprocess.run([sys.executable, "-c", CHILD, path], capture_output=True,
                                  text=True, check=True)
            row = json.loads(done.stdout)
            name = os.path.basename(path)
            print(f"{name:<16} {os.path.getsize(path):>10,} {row['seconds']:>8.4f} "
                  f"{row['rss_kb'] / 1024:>8.1f} MB {row['traced'] / 2**20:>6.2f} MB  "
                  f"{row['outcome'][:90]}")


if __name__ == "__main__":
    main()
