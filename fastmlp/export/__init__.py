"""Exporting and importing models: ONNX (:func:`to_onnx`) and PyTorch (:func:`to_torch`,
:func:`from_torch`).

A front end over the core's public API: it reads a model's layers and weights, and builds
models through :class:`~fastmlp.Sequential`. One module per target; ``_structure`` reads a
model once for all of them, so every target refuses the same layers with the same message.
onnx and torch are optional and imported only when a function is called.
"""

from .onnx import to_onnx
from .torch import from_torch, to_torch

__all__ = ["from_torch", "to_onnx", "to_torch"]
