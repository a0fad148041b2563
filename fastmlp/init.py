"""Weight initialisers: He and Xavier (normal or uniform) and a fixed standard deviation.

Each takes ``(n_in, n_out, rng)`` and returns a float64 ``(n_in, n_out)`` array; the layer
casts it to the model's dtype, so a seed gives the same starting point in float32 and float64.
"""

from __future__ import annotations

import numbers

import numpy as np


def he_normal(n_in, n_out, rng):
    """He/Kaiming normal, ``std = sqrt(2 / n_in)``: keeps ReLU activations' variance steady."""
    return rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_out))


def he_uniform(n_in, n_out, rng):
    """He/Kaiming uniform on ``[-l, l]``, ``l = sqrt(6 / n_in)``."""
    limit = np.sqrt(6.0 / n_in)
    return rng.uniform(-limit, limit, size=(n_in, n_out))


def xavier_normal(n_in, n_out, rng):
    """Xavier/Glorot normal, ``std = sqrt(2 / (n_in + n_out))``: suits sigmoid and tanh."""
    return rng.normal(0.0, np.sqrt(2.0 / (n_in + n_out)), size=(n_in, n_out))


def xavier_uniform(n_in, n_out, rng):
    """Xavier/Glorot uniform on ``[-l, l]``, ``l = sqrt(6 / (n_in + n_out))``."""
    limit = np.sqrt(6.0 / (n_in + n_out))
    return rng.uniform(-limit, limit, size=(n_in, n_out))


INITIALIZERS = {
    "he": he_normal,
    "he_normal": he_normal,
    "he_uniform": he_uniform,
    "xavier": xavier_normal,
    "xavier_normal": xavier_normal,
    "xavier_uniform": xavier_uniform,
}


def resolve_init(init):
    """Check an ``init`` argument: a name from :data:`INITIALIZERS` or a positive float std."""
    if isinstance(init, numbers.Real) and not isinstance(init, bool):
        if not (np.isfinite(init) and init > 0):
            raise ValueError(f"init as a standard deviation must be a finite number > 0, "
                             f"got {init}")
        return float(init)
    if isinstance(init, str) and init in INITIALIZERS:
        return init
    names = ", ".join(repr(name) for name in INITIALIZERS)
    raise ValueError(
        f"unknown initialiser {init!r}; valid initialisers are: {names}, "
        "or a float giving the standard deviation of a normal distribution"
    )


def initial_weights(init, n_in, n_out, rng):
    """Draw a float64 ``(n_in, n_out)`` weight matrix for an ``init`` accepted by resolve_init."""
    if isinstance(init, float):
        return rng.normal(0.0, init, size=(n_in, n_out))
    return INITIALIZERS[init](n_in, n_out, rng)
