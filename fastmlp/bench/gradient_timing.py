"""Analytic against numerical gradients per network size: times, speedups and errors.

:func:`gradient_table` is what ``fastmlp gradcheck`` prints, and the measured table of
``docs/gradients.md``. For every size it builds the same problem (:func:`gradient_problem`), times
backprop, the fast numerical path and the reference loop, and checks the numerical gradient
against backprop and the two numerical paths against each other. :data:`SIZES` is also the
table of sizes of ``benchmarks/test_bench_gradients.py``.

Nothing here asserts a timing: these numbers come from shared, noisy machines.
"""

from __future__ import annotations

import os
import sys
import time

import numba
import numpy as np

from .. import gradient_check as GC
from .. import gradients as G
from .._validation import check_positive_number
from ..backends import numpy_ops
from ..model import MLP
from .sizes import parse_size, size_name

#: The network sizes measured by default, input width first.
SIZES = ((2, 4, 2), (4, 8, 3), (64, 32, 10), (784, 128, 10), (784, 256, 128, 10))
#: Networks with at most this many parameters run the reference loop on every coordinate.
FULL_REFERENCE_UP_TO = 5_000

_fashion_cache = {}


def _fashion_mnist_rows(batch):
    """The first ``batch`` Fashion-MNIST training images and labels, or None if not on disk."""
    if batch not in _fashion_cache:
        from ..data import load_fashion_mnist

        try:
            (X, y), _ = load_fashion_mnist(download=False, progress=False)
        except (OSError, ValueError):  # not found, or a damaged file: fall back to synthetic
            _fashion_cache[batch] = None
        else:
            _fashion_cache[batch] = (np.array(X[:batch], dtype=np.float64), y[:batch].copy())
    return _fashion_cache[batch]


def gradient_problem(size, batch=64, seed=0):
    """The network and batch measured for one size.

    An MLP with ReLU hidden layers, softmax cross-entropy, float64, He-initialised weights
    and zero biases, on the Numba backend. Inputs are MNIST-like: for 784-input networks the
    first ``batch`` Fashion-MNIST training images in [0, 1] when the files are on disk
    (nothing is downloaded); otherwise uniform [0, 1] values with about half set to exactly
    zero, as in images, since zeros are what let the fast numerical path skip samples.

    Parameters
    ----------
    size : str or sequence of int
        Layer widths, input first: ``"784-128-10"`` or ``(784, 128, 10)``.
    batch : int
        Rows of ``X``.
    seed : int
        Seeds the weights and the synthetic data.

    Returns
    -------
    model : MLP
    X : (batch, size[0]) float64 array
    y : (batch,) int64 array
        Labels in ``[0, size[-1])``.
    source : str
        ``"fashion-mnist"`` or ``"synthetic, 50% zeros"``.
    """
    widths = parse_size(size)
    model = MLP(list(widths), activation="relu", init="he", loss="cross_entropy",
                dtype="float64", backend="numba", seed=seed)
    rows = _fashion_mnist_rows(batch) if widths[0] == 784 else None
    if rows is not None and len(rows[0]) == batch:
        X, labels = rows
        return model, X.copy(), labels % widths[-1], "fashion-mnist"
    rng = np.random.default_rng(seed)
    X = rng.random((batch, widths[0]))
    X[rng.random(X.shape) < 0.5] = 0.0
    return model, X, rng.integers(0, widths[-1], size=batch), "synthetic, 50% zeros"


def reference_coordinates(model, count=None, seed=0):
    """Coordinates for the reference loop, in both numberings.

    The backends number parameter arrays weights first, then biases (``k`` in
    :func:`fastmlp.backends.numpy_ops.central_differences`); the model numbers them
    ``W1, b1, W2, ...``. Bias-free layers have no model coordinates and are left out.

    Parameters
    ----------
    model : Sequential
        A stack :func:`fastmlp.gradients.network_spec` can describe.
    count : int or None
        How many coordinates, drawn without replacement and sorted; None for all of them.
    seed : int or numpy.random.Generator
        Seeds the draw.

    Returns
    -------
    spec_coords : list of (k, index tuple)
        For ``central_differences``.
    model_coords : list of (m, index tuple)
        The same coordinates in ``model.parameters()``.
    """
    layers = model.plan
    arrays, m = [], 0  # (spec k, model m, shape) of every parameter array the model has
    for ell, layer in enumerate(layers):
        arrays.append((ell, m, (layer.n_in, layer.n_out)))
        m += 1
        if layer.b_offset >= 0:
            arrays.append((len(layers) + ell, m, (layer.n_out,)))
            m += 1
    arrays.sort()  # spec order
    starts = np.cumsum([0] + [int(np.prod(shape)) for _, _, shape in arrays])
    total = int(starts[-1])
    if count is None or count >= total:
        flat = np.arange(total)
    else:
        flat = np.sort(np.random.default_rng(seed).choice(total, size=count, replace=False))
    which = np.searchsorted(starts, flat, side="right") - 1
    spec_coords, model_coords = [], []
    for f, a in zip(flat.tolist(), which.tolist()):
        k, m, shape = arrays[a]
        idx = tuple(int(i) for i in np.unravel_index(f - starts[a], shape))
        spec_coords.append((k, idx))
        model_coords.append((m, idx))
    return spec_coords, model_coords


def _median_seconds(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def measure(size, batch=64, repeats=3, subset=1000, seed=0, eps=1e-5):
    """One row of :func:`gradient_table`: see there for the keys."""
    model, X, y, source = gradient_problem(size, batch=batch, seed=seed)
    params = model.count_params()

    def analytic():
        return G.analytic_gradients(model, X, y)

    def numerical():
        return G.numerical_gradients(model, X, y, eps=eps, with_kinks=True)

    grads = analytic()  # also the warm-up: JIT compilation is never timed
    analytic_s = _median_seconds(analytic, repeats)
    numbers, kinks = numerical()
    numba_s = _median_seconds(numerical, repeats)

    full = params <= max(FULL_REFERENCE_UP_TO, subset)
    spec_coords, model_coords = reference_coordinates(model, None if full else subset, seed)
    weights, biases, activations, alphas = G.network_spec(model)

    def reference():
        return numpy_ops.central_differences(X, y, weights, biases, activations, alphas,
                                                  model.loss, eps, spec_coords)

    # Every coordinate costs two full forward passes, so a subset timing is already an
    # average over 2·subset passes: it runs once. The full loop is cheap: warm-up, median.
    start = time.perf_counter()
    ref_values, _ = reference()
    numpy_s = (time.perf_counter() - start) * params / len(spec_coords)
    if full:
        numpy_s = _median_seconds(reference, repeats)

    loss = model._loss.forward(model.ops, model._forward(X), y)
    floor = float(GC.rounding_floor(loss, eps))
    report = GC.compare(grads, numbers, kinks, floor, G.param_names(model))
    off_kinks = max(float(np.abs(a - n)[~k].max(initial=0.0))
                    for a, n, k in zip(grads, numbers, kinks))
    fast_values = np.array([numbers[m][idx] for m, idx in model_coords])
    return {
        "network": size_name(size), "params": params, "source": source,
        "analytic_s": analytic_s, "numba_s": numba_s, "numpy_s": numpy_s,
        "numpy_coords": len(spec_coords), "numpy_subset": not full,
        "numba_over_analytic": numba_s / analytic_s, "numpy_over_numba": numpy_s / numba_s,
        "max_error": report.max_error, "max_error_resolved": report.max_error_resolved,
        "kinks": sum(row["kinks"] for row in report.rows), "floor": floor,
        "diff_over_floor": off_kinks / floor,
        "numba_vs_numpy": float(np.abs(fast_values - ref_values).max() / floor),
    }


_COLUMNS = (f"{'network':<16}{'params':>8}{'analytic s':>12}{'numba s':>10}"
            f"{'numpy s':>18}{'numba/analytic':>15}{'numpy/numba':>12}{'max rel err':>12}"
            f"{'resolved':>10}{'kinks':>8}{'|a-n|/floor':>12}{'|nb-np|/floor':>14}  inputs")


_NOTES = """\
analytic: backprop; numba: central differences over all parameters; both the median of \
{repeats} after a warm-up call.
numpy: the reference loop; (subset): on {subset} random coordinates, time scaled to all.
max rel err: |a - n| / max(|a| + |n|, 1e-8), numerical vs analytic, over all parameters.
resolved: the same, off kinks and where |a - n| > 4 eps L / h, the rounding floor of central \
differences (0: no difference exceeds it).
kinks: coordinates whose +-h step moves a ReLU pre-activation across zero.
|a-n|/floor: largest |analytic - numerical| off kinks, in units of that floor.
|nb-np|/floor: largest difference between the numba and numpy numerical gradients, in units \
of that floor."""


def _format(r):
    mark = " (subset)" if r["numpy_subset"] else ""
    return (f"{r['network']:<16}{r['params']:>8}{r['analytic_s']:>12.3g}{r['numba_s']:>10.3g}"
            f"{r['numpy_s']:>9.3g}{mark:<9}{r['numba_over_analytic']:>14.0f}x"
            f"{r['numpy_over_numba']:>11.1f}x{r['max_error']:>12.1e}"
            f"{r['max_error_resolved']:>10.1e}{r['kinks']:>8}{r['diff_over_floor']:>12.2g}"
            f"{r['numba_vs_numpy']:>14.2g}"
            f"  {r['source']}")


def gradient_table(sizes=None, batch=64, repeats=3, subset=1000, seed=0, eps=1e-5, out=None):
    """Time and check analytic against numerical gradients per network size; print a table.

    Per size (see :func:`gradient_problem` for the network and the inputs):

    - analytic: backprop (:func:`fastmlp.gradients.analytic_gradients`), median of
      ``repeats`` after a warm-up call;
    - numba: every central difference through the Numba path
      (:func:`fastmlp.gradients.numerical_gradients`), median of ``repeats`` after a warm-up
      call, so JIT compilation is never timed;
    - numpy: the reference loop (``central_differences`` of the NumPy backend), over every
      coordinate up to :data:`FULL_REFERENCE_UP_TO` parameters (median of ``repeats``),
      otherwise once over ``subset`` random coordinates with the time scaled to all
      parameters, marked "(subset)".

    Errors compare the numerical gradient with backprop over every parameter, as
    :func:`fastmlp.gradient_check.check_gradients` does, and the two numerical paths with each
    other on the coordinates the reference ran.

    Parameters
    ----------
    sizes : sequence of (str or sequence of int), optional
        Layer widths per network, e.g. ``[(2, 4, 2), "784-128-10"]``; default :data:`SIZES`.
    batch : int
        Rows in the batch the loss is averaged over.
    repeats : int
        Timed runs per median.
    subset : int
        Coordinates the reference loop runs on a network too large to run in full.
    seed : int
        Seeds weights, synthetic inputs and the subset.
    eps : float
        The central-difference step h.
    out : file-like, optional
        Where the table goes; default ``sys.stdout``.

    Returns
    -------
    list of dict
        One per size, printed as it is measured, with keys ``network``, ``params``,
        ``source`` (the inputs), ``analytic_s``, ``numba_s``, ``numpy_s`` (seconds for all
        parameters; scaled when ``numpy_subset``), ``numpy_coords`` (coordinates the
        reference ran), ``numpy_subset``, ``numba_over_analytic``, ``numpy_over_numba``,
        ``max_error`` (largest relative error numerical vs analytic), ``max_error_resolved``
        (the same off kinks and above the rounding floor), ``kinks`` (coordinates whose ±h
        step crosses a ReLU kink), ``floor`` (``4 ε L / h``), ``diff_over_floor`` (largest
        ``|analytic − numerical|`` off kinks, in units of ``floor``) and ``numba_vs_numpy``
        (largest ``|numba − numpy|`` over the reference's coordinates, in units of ``floor``).
    """
    out = sys.stdout if out is None else out
    sizes = SIZES if sizes is None else sizes
    check_positive_number(batch, "batch", integer=True)
    check_positive_number(repeats, "repeats", integer=True)
    check_positive_number(subset, "subset", integer=True)
    load = f"{os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else "unknown"
    print(f"batch {batch}, h = {eps:g}, float64, ReLU + softmax cross-entropy, He init; "
          f"{numba.get_num_threads()} Numba threads; load average {load}", file=out)
    print(_COLUMNS, file=out, flush=True)
    rows = []
    for size in sizes:
        rows.append(measure(size, batch=batch, repeats=repeats, subset=subset, seed=seed,
                            eps=eps))
        print(_format(rows[-1]), file=out, flush=True)
    print(_NOTES.format(repeats=repeats, subset=subset), file=out)
    return rows
