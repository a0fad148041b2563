"""``fastmlp bench`` and ``fastmlp gradcheck``: thin front ends to library functions.

Both import their function only when run: the benchmark pulls in PyTorch and scikit-learn
when they are installed, which no other command should pay for.
"""

from __future__ import annotations

import importlib
import sys

from ._errors import CLIError


def _library_function(module, name, command):
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        raise CLIError(f"'fastmlp {command}' needs {module}.{name}, which this installation "
                       f"of fastmlp does not provide; update fastmlp") from None


def _given(args, names):
    """The keyword arguments the user set, so the library's own defaults apply otherwise."""
    return {name: getattr(args, name) for name in names if getattr(args, name) is not None}


def bench(args, out=None):
    """Time training per network size against PyTorch and scikit-learn."""
    run = _library_function("fastmlp.bench", "run_peer_comparison", "bench")
    run(**_given(args, ("sizes", "epochs")), repeats=args.repeats, peers=args.peers,
        out=out or sys.stdout)
    return 0


def gradcheck(args, out=None):
    """Analytic against numerical gradients, error and time per network size."""
    run = _library_function("fastmlp.bench", "gradient_table", "gradcheck")
    run(**_given(args, ("sizes",)), out=out or sys.stdout)
    return 0
