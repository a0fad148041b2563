"""fastmlp: multilayer perceptrons on the CPU, with a NumPy reference path and a fast Numba path.

>>> import fastmlp
>>> model = fastmlp.MLP([64, 32, 10], seed=0)
>>> history = model.fit(X, y, epochs=20, batch_size=64, optimizer=fastmlp.Adam(1e-3))
"""

# Numba first, from the top of the package: imported from deep in the chain of the
# package's imports, its own start-up (numba.core.typeconv.rules) ran 0.1 s slower on Python
# 3.11, with the same calls (import fastmlp: 0.39 s against 0.29 s, medians of 8).
import numba  # noqa: F401

from ._version import __version__
from .backends import available_backends, get_backend
from .callbacks import Callback, EarlyStopping, History
from .checkpoint import ModelCheckpoint
from .data import load_digits, load_fashion_mnist, load_iris, load_mnist
from .export import from_torch, to_onnx, to_torch
from .gradient_check import GradientReport, check_gradients, directional_check
from .layers import Dense, Dropout, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from .loading import load
from .losses import MeanSquaredError, SoftmaxCrossEntropy
from .model import MLP, Sequential
from .optim import (
    SGD,
    Adam,
    AdamW,
    CosineDecay,
    ExponentialDecay,
    RMSprop,
    StepDecay,
    WarmupCosineDecay,
)
from .reproducibility import thread_counts, threads
from .serialization import ModelFileError

__all__ = [
    "MLP", "SGD", "Adam", "AdamW", "Callback", "CosineDecay", "Dense", "Dropout",
    "EarlyStopping", "ExponentialDecay", "GradientReport", "History", "LeakyReLU",
    "MeanSquaredError", "ModelCheckpoint", "ModelFileError", "RMSprop", "ReLU", "Sequential",
    "Sigmoid",
    "Softmax", "SoftmaxCrossEntropy", "StepDecay", "Tanh", "WarmupCosineDecay", "__version__",
    "available_backends",
    "check_gradients", "directional_check", "from_torch", "get_backend", "load", "load_digits",
    "load_fashion_mnist", "load_iris", "load_mnist", "thread_counts", "threads", "to_onnx",
    "to_torch",
]
