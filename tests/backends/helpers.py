"""What the backend tests share: dtypes and tolerances, memory layouts, the parity check and
the optimizer configurations. The op arguments themselves come from
:mod:`fastmlp.backends.op_cases`."""

from __future__ import annotations

import itertools

import numpy as np

from fastmlp.backends import numba_ops, numpy_ops, op_cases
from fastmlp.backends.op_cases import CASES

DTYPES = (np.float32, np.float64)

# Parity tolerances: float32 kernels differ from NumPy's in summation order and in the last ulp
# of exp/tanh; float64 ones only in BLAS blocking and libm ulps.
TOL = {
    np.float32: {"rtol": 1e-5, "atol": 1e-6},
    np.float64: {"rtol": 1e-12, "atol": 1e-12},
}

LAYOUTS = ("C", "F", "strided")


def relayout(a, layout):
    """The same values as ``a`` in another memory layout (not C-contiguous when possible)."""
    if layout == "C":
        return a
    if layout == "F" and a.ndim == 2:
        return a.T.copy().T  # a transposed copy: F-contiguous
    # Every other element of a twice-as-wide buffer: a non-contiguous view.
    wide = np.zeros(a.shape[:-1] + (2 * a.shape[-1],), a.dtype)
    wide[..., ::2] = a
    return wide[..., ::2]


def build(name, dtype, n, p, q, seed, layout="C", drop=()):
    """The table's arguments for ``name``, inputs in ``layout`` and the ``drop`` ones ``None``."""
    case = CASES[name]
    kwargs = op_cases.build(name, dtype, n, p, q, seed)
    for arg in drop:
        kwargs[arg] = None
    for arg in case.inputs:
        if kwargs[arg] is not None:
            kwargs[arg] = relayout(kwargs[arg], layout)
    return kwargs


def copy_args(kwargs):
    """Copy every array argument, keeping arguments that were one array one array."""
    copies = {}
    for v in kwargs.values():
        if isinstance(v, np.ndarray) and id(v) not in copies:
            copies[id(v)] = v.copy()
    return {k: copies.get(id(v), v) for k, v in kwargs.items()}


def assert_parity(name, dtype, kwargs):
    """Run ``name`` in both backends on copies of ``kwargs``; compare results and outputs."""
    case = CASES[name]
    ref_kwargs, fast_kwargs = copy_args(kwargs), copy_args(kwargs)
    ref = getattr(numpy_ops, name)(**ref_kwargs)
    fast = getattr(numba_ops, name)(**fast_kwargs)
    tol = TOL[dtype]
    if case.returns:
        assert type(fast) is float and type(ref) is float
        np.testing.assert_allclose(fast, ref, **tol, err_msg=f"{name} returned value")
    else:
        assert fast is None and ref is None
    for arg in case.written:
        if ref_kwargs[arg] is None:
            continue
        got, want = fast_kwargs[arg], ref_kwargs[arg]
        assert got.dtype == want.dtype == dtype
        np.testing.assert_allclose(got, want, **tol, err_msg=f"{name}: {arg}")


def optimizer_configs():
    """``(kind, hyperparameters)`` for every optimizer variant the backends implement."""
    for momentum, nesterov, wd in itertools.product((0.0, 0.9), (False, True), (0.0, 0.05)):
        if nesterov and not momentum:
            continue
        yield "sgd", {"lr": 0.1, "momentum": momentum, "nesterov": nesterov, "weight_decay": wd}
    for wd in (0.0, 0.05):
        yield "rmsprop", {"lr": 0.01, "rho": 0.9, "eps": 1e-8, "weight_decay": wd}
    for wd, decoupled in itertools.product((0.0, 0.05), (False, True)):
        hyper = {"lr": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}
        yield "adam", {**hyper, "weight_decay": wd, "decoupled": decoupled}


OPTIMIZER_CONFIGS = list(optimizer_configs())


def config_id(config):
    """A parameter id for an optimizer configuration: ``sgd[momentum=0.9,...]``."""
    kind, hyper = config
    flags = ",".join(f"{k}={v}" for k, v in hyper.items() if k not in ("lr", "eps"))
    return f"{kind}[{flags}]"


def run_optimizer(module, kind, hyper, param, grads):
    """Apply one step per gradient in ``grads`` to a copy of ``param``; return param and state."""
    param = param.copy()
    state = [np.zeros_like(param) for _ in range({"sgd": 1, "rmsprop": 1, "adam": 2}[kind])]
    for step, grad in enumerate(grads, start=1):
        if kind == "sgd":
            module.sgd_update(param, grad, state[0], **hyper)
        elif kind == "rmsprop":
            module.rmsprop_update(param, grad, state[0], **hyper)
        else:
            module.adam_update(param, grad, state[0], state[1], step=step, **hyper)
    return [param, *state]

