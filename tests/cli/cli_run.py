"""Running the command line in-process and reading what it printed (shared by tests/cli)."""

import re

from fastmlp.cli import main

COMMANDS = ["train", "evaluate", "predict", "bench", "gradcheck"]


def run(capsys, *argv):
    """``main(argv)``: (exit status, stdout, stderr)."""
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_line_error(err, *fragments):
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"expected one error line, got:\n{err}"
    assert lines[0].startswith("fastmlp: error: ")
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0]


def accuracy(text, what="test accuracy"):
    return float(re.search(rf"^{what}\s+([0-9.]+)$", text, re.MULTILINE).group(1))
