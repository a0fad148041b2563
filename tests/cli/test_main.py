"""The entry points (fastmlp.cli.main, ``python -m fastmlp``): exit statuses, and failures
that can happen anywhere (a vanished reader, no memory) reported without a traceback."""

import subprocess
import sys

import numpy as np
from cli_run import assert_one_line_error, run

from fastmlp.cli import BROKEN_PIPE_STATUS
from fastmlp.cli import _data as cli_data
from fastmlp.data import load_digits


def test_python_dash_m_fastmlp():
    done = subprocess.run([sys.executable, "-m", "fastmlp", "--help"], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0
    assert done.stdout.startswith("usage: python -m fastmlp")
    done = subprocess.run([sys.executable, "-m", "fastmlp", "train", "--lr", "0"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2


def test_output_cut_short_by_head_ends_quietly(digits_model, tmp_path):
    """``fastmlp predict ... | head -1``: no "Broken pipe" message, the status of SIGPIPE."""
    pixels = np.tile(load_digits(scaled=False, split=False)[0].astype(np.uint8), (120, 1))
    np.save(tmp_path / "many.npy", pixels)  # 215,640 lines of output: far more than a pipe holds
    command = (f'"{sys.executable}" -m fastmlp predict "{digits_model}" "{tmp_path}/many.npy" '
               f'| head -1; echo "status ${{PIPESTATUS[0]}}" >&2')
    done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=300)
    assert done.stdout.strip().isdigit() and len(done.stdout.splitlines()) == 1
    assert done.stderr == f"status {BROKEN_PIPE_STATUS}\n"
    assert BROKEN_PIPE_STATUS == 141


def test_out_of_memory_anywhere_is_one_line(capsys, monkeypatch, digits_model, tmp_path):
    def too_much(*args, **kwargs):
        raise MemoryError("Unable to allocate 3.00 GiB for an array with shape (1000000, 784)")

    monkeypatch.setattr(cli_data, "read_inputs", too_much)
    code, _, err = run(capsys, "predict", str(digits_model), str(digits_model))
    assert code == 1
    assert_one_line_error(err, "out of memory (Unable to allocate 3.00 GiB", "use less data")
