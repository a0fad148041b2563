"""Random operands for the op table (:mod:`.op_cases`), drawn to meet each op's interesting
regions: exact zeros at the ReLU kink, probabilities that sum to one, soft and hard
binary targets, per-sample weights with exact zeros, inverted-dropout masks.

Every function takes a NumPy ``Generator`` first and returns a new array of the given dtype.
Only NumPy is needed; nothing here imports the rest of the package.
"""

from __future__ import annotations

import numpy as np

__all__ = ["mask", "probabilities", "sample_weights", "soft_targets", "uniform", "with_zeros"]


def uniform(rng, shape, dtype, low=-2.0, high=2.0):
    """Uniform values in ``[low, high)`` of ``shape``, cast to ``dtype``."""
    return rng.uniform(low, high, size=shape).astype(dtype)


def with_zeros(rng, shape, dtype):
    """Uniform values with exact zeros sprinkled in (about one in five), for the ReLU kink."""
    z = uniform(rng, shape, dtype)
    z[rng.random(shape) < 0.2] = 0
    return z


def probabilities(rng, n, k, dtype):
    """``(n, k)`` rows of positive probabilities that each sum to one."""
    p = rng.random((n, k)) + 1e-3
    return (p / p.sum(axis=1, keepdims=True)).astype(dtype)


def soft_targets(rng, shape, dtype):
    """Binary-cross-entropy targets of ``shape``: mostly 0/1 indicators, some probabilities."""
    t = (rng.random(shape) < 0.5).astype(np.float64)
    soft = rng.random(shape) < 0.25
    t[soft] = rng.random(int(soft.sum()))
    return t.astype(dtype)


def sample_weights(rng, n, dtype):
    """Per-sample loss weights ``(n,)``: non-negative, about one in five exactly zero."""
    w = rng.uniform(0.0, 3.0, size=n)
    w[rng.random(n) < 0.2] = 0.0
    return w.astype(dtype)


def mask(rng, shape, dtype, p_drop=0.5):
    """An inverted-dropout mask of ``shape``: 0 with probability ``p_drop``, else 1/(1-p_drop)."""
    return np.where(rng.random(shape) < p_drop, 0.0, 1.0 / (1.0 - p_drop)).astype(dtype)
