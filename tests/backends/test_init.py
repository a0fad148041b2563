"""fastmlp.backends: the op names every backend exports, and choosing a backend by name."""

import inspect

import pytest

from fastmlp.backends import (
    BACKENDS,
    OPS,
    available_backends,
    get_backend,
    numba_ops,
    numpy_ops,
)


@pytest.mark.parametrize("module", [numpy_ops, numba_ops], ids=["numpy", "numba"])
def test_every_backend_exports_every_op(module):
    missing = [name for name in OPS if not callable(getattr(module, name, None))]
    assert not missing, f"{module.__name__} lacks {missing}"


@pytest.mark.parametrize("name", OPS)
def test_signatures_match_the_reference(name):
    ref = inspect.signature(getattr(numpy_ops, name))
    fast = inspect.signature(getattr(numba_ops, name))
    assert fast == ref, f"{name}: numba {fast} != numpy {ref}"


def test_ops_are_unique():
    assert len(set(OPS)) == len(OPS)


def test_available_backends_lists_numba_first():
    assert available_backends() == ["numba", "numpy"]
    assert available_backends() == list(BACKENDS)


@pytest.mark.parametrize(("name", "module"), [("numpy", numpy_ops), ("numba", numba_ops)])
def test_get_backend_returns_the_ops_module(name, module):
    assert get_backend(name) is module


@pytest.mark.parametrize("name", ["cuda", "NumPy", ""])
def test_get_backend_rejects_unknown_names(name):
    with pytest.raises(ValueError, match=rf"unknown backend {name!r}; valid backends are: "
                                         r"'numba', 'numpy'"):
        get_backend(name)
