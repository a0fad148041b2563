"""Importing the optional packages an exporter needs, with an error that says how to get them."""

from __future__ import annotations

import importlib

#: The pyproject extra that installs each optional package.
EXTRAS = {"onnx": "onnx", "onnxruntime": "onnx", "torch": "peers"}


def require(module, purpose):
    """Import and return ``module``, or raise an ImportError naming the extra to install.

    Parameters
    ----------
    module : str
        ``"onnx"``, ``"onnxruntime"`` or ``"torch"``.
    purpose : str
        What needs it, for the message (``"to_onnx"``).
    """
    try:
        return importlib.import_module(module)
    except ImportError as err:
        extra = EXTRAS[module]
        # torch is pinned: an unpinned install pulls a multi-GB CUDA build.
        hint = "pip install torch==2.13.0" if module == "torch" else f"pip install {module}"
        raise ImportError(f"{purpose} needs {module}, which is not installed ({err}); install "
                          f"it with pip install \"fastmlp[{extra}]\" (or {hint})") from None
