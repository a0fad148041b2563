"""The entry points (fastmlp.cli.main, ``python -m fastmlp``): exit statuses."""

import subprocess
import sys


def test_python_dash_m_fastmlp():
    done = subprocess.run([sys.executable, "-m", "fastmlp", "--help"], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0
    assert done.stdout.startswith("usage: python -m fastmlp")
    done = subprocess.run([sys.executable, "-m", "fastmlp", "train", "--lr", "0"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
