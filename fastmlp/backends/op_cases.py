"""How to call every backend op: one table shared by the tests and the benchmarks.

:data:`CASES` maps each op name of :data:`fastmlp.backends.OPS` (all but
``numerical_gradient``, which takes a whole network) to a :class:`Case` that builds valid
keyword arguments for it at any dtype and size. The parity tests run both backends on the
table's arguments (in odd shapes, memory layouts and with non-finite values), the wrapper-safety
tests break one argument at a time, and ``benchmarks/test_bench_kernels.py`` times the ops on the
same arguments at the benchmark networks' shapes, so a new op is tested and timed once it has a
row here.

Every builder has the signature ``build(rng, dtype, n, p, q) -> dict`` with ``n`` the batch
(rows), ``p`` the input/feature width and ``q`` the output/class width:

- dense ops: ``x`` of shape ``(n, p)``, ``W`` of shape ``(p, q)``, outputs ``(n, q)``;
- activations, dropout and MSE: arrays of shape ``(n, p)``;
- softmax ops: arrays of shape ``(n, q)`` and integer labels ``y`` of shape ``(n,)`` in
  ``[0, q)``; sigmoid binary cross-entropy: logits and targets in [0, 1] of shape ``(n, q)``;
- optimizer updates: parameter, gradient and state of shape ``(p, q)``;
- losses also take optional per-sample ``weights`` of shape ``(n,)``, some exactly zero.

Values are drawn so each op meets its interesting regions: exact zeros at the ReLU kink,
saturating sigmoid inputs, probabilities that sum to one, inverted-dropout masks. Only NumPy is
needed; nothing here imports the rest of the package.

Examples
--------
>>> import numpy as np
>>> from fastmlp.backends import numpy_ops
>>> kwargs = build("dense_forward", np.float64, n=2, p=3, q=4, seed=0)
>>> numpy_ops.dense_forward(**kwargs)
>>> kwargs["out"].shape
(2, 4)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .op_values import mask, probabilities, sample_weights, soft_targets, uniform, with_zeros

__all__ = ["CASES", "Case", "build", "mask", "probabilities", "sample_weights", "soft_targets",
           "uniform", "with_zeros"]


@dataclass(frozen=True)
class Case:
    """How to call one op.

    Attributes
    ----------
    build : callable
        ``build(rng, dtype, n, p, q)`` returns the op's keyword arguments, in signature order.
    inputs : tuple of str
        Arrays the op only reads (the parity tests also pass them non-contiguous).
    written : tuple of str
        Arrays the op writes; the tests compare them after the call.
    optional : tuple of str
        Arguments that may be ``None``.
    returns : bool
        Whether the op returns a value (a loss) instead of ``None``.
    """

    build: Callable
    inputs: tuple = ()
    written: tuple = ()
    optional: tuple = ()
    returns: bool = False


def _elementwise(low=-2.0, high=2.0, zeros=False, **scalars):
    """A forward activation's builder: ``z`` of shape ``(n, p)``, then ``scalars``, then ``out``."""

    def build(r, d, n, p, q):
        z = with_zeros(r, (n, p), d) if zeros else uniform(r, (n, p), d, low, high)
        return {"z": z, **scalars, "out": np.empty((n, p), d)}

    return build


def _elementwise_backward(first, low=-2.0, high=2.0, zeros=False, **scalars):
    """A backward activation's builder: ``first`` (``z`` or ``a``), ``scalars``, ``da``, ``out``."""

    def build(r, d, n, p, q):
        x = with_zeros(r, (n, p), d) if zeros else uniform(r, (n, p), d, low, high)
        return {first: x, **scalars, "da": uniform(r, (n, p), d), "out": np.empty((n, p), d)}

    return build


CASES = {
    "dense_forward": Case(
        lambda r, d, n, p, q: {
            "x": uniform(r, (n, p), d),
            "W": uniform(r, (p, q), d),
            "b": uniform(r, (q,), d),
            "out": np.empty((n, q), d),
        },
        inputs=("x", "W", "b"),
        written=("out",),
        optional=("b",),
    ),
    "dense_backward": Case(
        lambda r, d, n, p, q: {
            "x": uniform(r, (n, p), d),
            "W": uniform(r, (p, q), d),
            "dz": uniform(r, (n, q), d),
            "dx": np.empty((n, p), d),
            "dW": np.empty((p, q), d),
            "db": np.empty((q,), d),
        },
        inputs=("x", "W", "dz"),
        written=("dx", "dW", "db"),
        optional=("dx", "db"),
    ),
    "relu_forward": Case(_elementwise(zeros=True), inputs=("z",), written=("out",)),
    "relu_backward": Case(
        _elementwise_backward("z", zeros=True), inputs=("z", "da"), written=("out",)
    ),
    "leaky_relu_forward": Case(
        _elementwise(zeros=True, alpha=0.01), inputs=("z",), written=("out",)
    ),
    "leaky_relu_backward": Case(
        _elementwise_backward("z", zeros=True, alpha=0.2), inputs=("z", "da"), written=("out",)
    ),
    # Wide enough that some entries saturate in float32.
    "sigmoid_forward": Case(_elementwise(-40, 40), inputs=("z",), written=("out",)),
    "sigmoid_backward": Case(
        _elementwise_backward("a", 0, 1), inputs=("a", "da"), written=("out",)
    ),
    "tanh_forward": Case(_elementwise(-5, 5), inputs=("z",), written=("out",)),
    "tanh_backward": Case(
        _elementwise_backward("a", -1, 1), inputs=("a", "da"), written=("out",)
    ),
    "softmax_forward": Case(
        lambda r, d, n, p, q: {"z": uniform(r, (n, q), d, -30, 30), "out": np.empty((n, q), d)},
        inputs=("z",),
        written=("out",),
    ),
    "softmax_xent": Case(
        lambda r, d, n, p, q: {
            "logits": uniform(r, (n, q), d, -10, 10),
            "y": r.integers(0, q, size=n),
            "probs": np.empty((n, q), d),
            "weights": sample_weights(r, n, d),
        },
        inputs=("logits", "y", "weights"),
        written=("probs",),
        optional=("weights",),
        returns=True,
    ),
    "softmax_xent_backward": Case(
        lambda r, d, n, p, q: {
            "probs": probabilities(r, n, q, d),
            "y": r.integers(0, q, size=n),
            "dlogits": np.empty((n, q), d),
            "weights": sample_weights(r, n, d),
        },
        inputs=("probs", "y", "weights"),
        written=("dlogits",),
        optional=("weights",),
    ),
    "mse": Case(
        lambda r, d, n, p, q: {"pred": uniform(r, (n, p), d), "target": uniform(r, (n, p), d),
                               "weights": sample_weights(r, n, d)},
        inputs=("pred", "target", "weights"),
        optional=("weights",),
        returns=True,
    ),
    "mse_backward": Case(
        lambda r, d, n, p, q: {
            "pred": uniform(r, (n, p), d),
            "target": uniform(r, (n, p), d),
            "dpred": np.empty((n, p), d),
            "weights": sample_weights(r, n, d),
        },
        inputs=("pred", "target", "weights"),
        written=("dpred",),
        optional=("weights",),
    ),
    "sigmoid_bce": Case(
        lambda r, d, n, p, q: {
            "logits": uniform(r, (n, q), d, -40, 40),
            "target": soft_targets(r, (n, q), d),
            "probs": np.empty((n, q), d),
            "weights": sample_weights(r, n, d),
        },
        inputs=("logits", "target", "weights"),
        written=("probs",),
        optional=("weights",),
        returns=True,
    ),
    "sigmoid_bce_backward": Case(
        lambda r, d, n, p, q: {
            "probs": uniform(r, (n, q), d, 0, 1),
            "target": soft_targets(r, (n, q), d),
            "dlogits": np.empty((n, q), d),
            "weights": sample_weights(r, n, d),
        },
        inputs=("probs", "target", "weights"),
        written=("dlogits",),
        optional=("weights",),
    ),
    "dropout_forward": Case(
        lambda r, d, n, p, q: {
            "x": uniform(r, (n, p), d),
            "mask": mask(r, (n, p), d),
            "out": np.empty((n, p), d),
        },
        inputs=("x", "mask"),
        written=("out",),
    ),
    "dropout_backward": Case(
        lambda r, d, n, p, q: {
            "da": uniform(r, (n, p), d),
            "mask": mask(r, (n, p), d),
            "out": np.empty((n, p), d),
        },
        inputs=("da", "mask"),
        written=("out",),
    ),
    "sgd_update": Case(
        lambda r, d, n, p, q: {
            "param": uniform(r, (p, q), d),
            "grad": uniform(r, (p, q), d),
            "velocity": uniform(r, (p, q), d),
            "lr": 0.1,
            "momentum": 0.9,
            "nesterov": True,
            "weight_decay": 0.01,
        },
        inputs=("grad",),
        written=("param", "velocity"),
    ),
    "rmsprop_update": Case(
        lambda r, d, n, p, q: {
            "param": uniform(r, (p, q), d),
            "grad": uniform(r, (p, q), d),
            "sq_avg": uniform(r, (p, q), d, 0.1, 1),
            "lr": 0.01,
            "rho": 0.9,
            "eps": 1e-8,
            "weight_decay": 0.01,
        },
        inputs=("grad",),
        written=("param", "sq_avg"),
    ),
    "adam_update": Case(
        lambda r, d, n, p, q: {
            "param": uniform(r, (p, q), d),
            "grad": uniform(r, (p, q), d),
            "m": uniform(r, (p, q), d, -0.1, 0.1),
            "v": uniform(r, (p, q), d, 0.01, 0.1),
            "lr": 1e-3,
            "beta1": 0.9,
            "beta2": 0.999,
            "eps": 1e-8,
            "step": 3,
            "weight_decay": 0.01,
            "decoupled": True,
        },
        inputs=("grad",),
        written=("param", "m", "v"),
    ),
}


def build(name, dtype, n, p, q, seed):
    """Keyword arguments for op ``name`` from a generator seeded with ``seed``.

    Parameters
    ----------
    name : str
        A key of :data:`CASES`.
    dtype : numpy dtype
        The floating dtype of every array (labels stay integer).
    n, p, q : int
        Batch, input/feature width and output/class width (see the module docstring).
    seed : int
        Seed of :func:`numpy.random.default_rng`; the same seed gives the same arguments.

    Returns
    -------
    dict
        Argument name to value, in the op's signature order; output arrays are allocated
        (C-contiguous) but not initialised.
    """
    return CASES[name].build(np.random.default_rng(seed), dtype, n, p, q)
