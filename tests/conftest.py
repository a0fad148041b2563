"""Shared fixtures."""

import pytest


@pytest.fixture(params=["numpy", "numba"])
def backend(request):
    """Each backend in turn: every behaviour must hold on both paths."""
    return request.param
