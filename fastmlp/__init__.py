"""fastmlp: multilayer perceptrons on the CPU, with a NumPy reference path and a fast Numba path."""

__version__ = "0.1.0"
