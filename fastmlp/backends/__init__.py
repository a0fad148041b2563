"""The backend seam: two modules with the same ops, one readable and one fast.

``numpy_ops`` is the reference: plain vectorised NumPy that reads like the maths.
``numba_ops`` has the same names and signatures, built from ``@njit`` kernels.
Every op writes into caller-provided ``out`` arrays, so a model can preallocate its
buffers once and reuse them on every step.
"""

from __future__ import annotations

import importlib
from types import ModuleType

#: The names every backend module exports, with identical signatures.
OPS = (
    "dense_forward",
    "dense_backward",
    "relu_forward",
    "relu_backward",
    "leaky_relu_forward",
    "leaky_relu_backward",
    "sigmoid_forward",
    "sigmoid_backward",
    "tanh_forward",
    "tanh_backward",
    "softmax_forward",
    "softmax_xent",
    "softmax_xent_backward",
    "mse",
    "mse_backward",
    "sigmoid_bce",
    "sigmoid_bce_backward",
    "dropout_forward",
    "dropout_backward",
    "sgd_update",
    "rmsprop_update",
    "adam_update",
    "numerical_gradient",
)

BACKENDS = {"numba": "fastmlp.backends.numba_ops", "numpy": "fastmlp.backends.numpy_ops"}


def available_backends() -> list[str]:
    """Names accepted by :func:`get_backend`, fastest first."""
    return list(BACKENDS)


def get_backend(name: str) -> ModuleType:
    """Return the ops module for ``name`` ("numba" or "numpy")."""
    from .._validation import check_choice

    check_choice(name, BACKENDS, "backend")
    return importlib.import_module(BACKENDS[name])
