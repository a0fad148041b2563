"""The memory-safety checks that every wrapper of :mod:`fastmlp.backends.numba_ops` runs.

A compiled kernel trusts its arrays: a mis-shaped operand would make it read or write out of
bounds, and a strided ``out`` would be written through a temporary copy, the results lost.
Elementwise kernels loop over flat views (``ravel()`` of a C-contiguous array is a view in
Numba), so C-contiguous arrays of one shape are all they need. The wrappers therefore make
inputs C-contiguous and refuse outputs that do not fit, with these helpers. They run on every
training step, so the common case is a few comparisons and the precise message is built only
on failure.
"""

from __future__ import annotations

import numpy as np


def mismatch(op, **shapes):
    """Raise the shape error of ``op``, listing every operand's shape.

    Parameters
    ----------
    op : str
        The op's name, which starts the message.
    **shapes : tuple or None
        Each operand's shape, by the operand's name.

    Raises
    ------
    ValueError
        Always.
    """
    listed = ", ".join(f"{name} {shape}" for name, shape in shapes.items())
    raise ValueError(f"{op}: operand shapes do not fit: {listed}")


def check_out(op, name, out):
    """Refuse an output array that is not C-contiguous.

    A kernel given a strided ``out`` would either write into a temporary copy (results lost) or
    need a slower code path; the caller owns the buffer, so it is the caller's to fix.

    Parameters
    ----------
    op, name : str
        The op's name and the output's, for the message.
    out : ndarray
        The array the kernel will write.

    Raises
    ------
    ValueError
        If ``out`` is not C-contiguous.
    """
    if not out.flags.c_contiguous:
        raise ValueError(
            f"{op}: {name} must be C-contiguous (got strides {out.strides}); "
            f"allocate it with np.empty(shape, dtype)"
        )


def explain(op, names, arrays, outputs):
    """Slow path of the checks: raise the precise error for ``arrays`` named ``names``.

    Parameters
    ----------
    op : str
        The op's name, for the message.
    names : str
        The arrays' names, separated by spaces, in the order of ``arrays``.
    arrays : sequence of ndarray or None
        Every array should have one shape (None ones are skipped).
    outputs : str
        The names, separated by spaces, of the arrays that should be C-contiguous.

    Raises
    ------
    ValueError
        On the first problem found.
    """
    named = {n: a for n, a in zip(names.split(), arrays) if a is not None}
    shapes = {n: a.shape for n, a in named.items()}
    if len(set(shapes.values())) > 1:
        mismatch(op, **shapes)
    for name in outputs.split():
        check_out(op, name, named[name])


def elementwise(op, names, out, a, b=None):
    """The inputs of an elementwise op, checked against its output.

    Written out flat, since it runs on every call: the common case is a few comparisons.

    Parameters
    ----------
    op : str
        The op's name, for messages.
    names : str
        The names of ``a``, (``b``,) ``out``, separated by spaces, for messages.
    out : ndarray
        The output, which must be C-contiguous.
    a, b : array_like
        The inputs (``b`` may be None), which must have ``out``'s shape.

    Returns
    -------
    a, b : ndarray
        The inputs made C-contiguous (``b`` None if it was).

    Raises
    ------
    ValueError
        If a shape does not fit or ``out`` is not C-contiguous.
    """
    a = np.ascontiguousarray(a)
    if b is not None:
        b = np.ascontiguousarray(b)
    shape = out.shape
    if a.shape != shape or (b is not None and b.shape != shape) or not out.flags.c_contiguous:
        explain(op, names, (a, b, out) if b is not None else (a, out), names.split()[-1])
    return a, b
