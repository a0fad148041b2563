"""Large flat vectors on huge pages, small ones ordinary; both plain writable ndarrays."""

import copy
import mmap
import pickle
import sys

import numpy as np
import pytest

from fastmlp import MLP
from fastmlp import _huge_pages as huge_pages
from fastmlp.optim import Adam

LINUX = sys.platform.startswith("linux") and hasattr(mmap, "MADV_HUGEPAGE")


def _vm_flags(address):
    """The kernel's flags of the mapping holding ``address`` (``hg``: huge pages advised)."""
    inside = False
    with open("/proc/self/smaps") as smaps:
        for line in smaps:
            head = line.split()[0]
            if "-" in head and ":" not in head:
                start, end = (int(part, 16) for part in head.split("-"))
                inside = start <= address < end
            elif inside and head == "VmFlags:":
                return line.split()[1:]
    raise AssertionError(f"no mapping holds {address:#x}")


@pytest.mark.skipif(not LINUX, reason="huge pages are advised on Linux only")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_large_vector_starts_on_a_huge_page_and_is_advised(dtype):
    n = huge_pages.THRESHOLD // np.dtype(dtype).itemsize + 3
    vector = huge_pages.zeros(n, dtype)
    assert vector.shape == (n,) and vector.dtype == dtype
    assert vector.flags.c_contiguous and vector.flags.writeable
    assert vector.ctypes.data % huge_pages.HUGE_PAGE == 0
    assert "hg" in _vm_flags(vector.ctypes.data)
    assert not vector.any()
    vector[-1] = 7  # the last element is inside the mapping
    assert vector.sum() == 7


@pytest.mark.parametrize("n", [5, huge_pages.THRESHOLD // 4 + 1])
def test_a_copy_holds_the_values_flattened_and_converted(n):
    values = np.arange(2 * n, dtype=np.float64).reshape(2, n)
    kept = huge_pages.copy(values)
    assert kept.dtype == np.float64 and kept.shape == (2 * n,)
    np.testing.assert_array_equal(kept, values.reshape(-1))
    converted = huge_pages.copy(values, np.float32)
    assert converted.dtype == np.float32
    np.testing.assert_array_equal(converted, values.reshape(-1).astype(np.float32))
    values[0, 0] = -1  # a copy, not a view
    assert kept[0] == 0


def test_a_small_vector_is_an_ordinary_array():
    vector = huge_pages.zeros(10, np.float32)
    assert vector.base is None and vector.shape == (10,) and not vector.any()


def test_without_the_advice_a_large_vector_is_an_ordinary_array(monkeypatch):
    monkeypatch.delattr(mmap, "MADV_HUGEPAGE", raising=False)
    vector = huge_pages.empty(huge_pages.THRESHOLD, np.uint8)
    assert vector.base is None and vector.shape == (huge_pages.THRESHOLD,)


@pytest.mark.skipif(not LINUX, reason="huge pages are advised on Linux only")
def test_a_kernel_refusing_the_advice_gives_an_ordinary_array(monkeypatch):
    class Refusing(mmap.mmap):
        def madvise(self, *args):
            raise OSError(22, "Invalid argument")

    monkeypatch.setattr(huge_pages.mmap, "mmap", Refusing)
    vector = huge_pages.zeros(huge_pages.THRESHOLD, np.uint8)
    assert vector.base is None and not vector.any()


@pytest.mark.skipif(not LINUX, reason="huge pages are advised on Linux only")
def test_a_mapping_refused_gives_an_ordinary_array(monkeypatch):
    def no_room(*args, **kwargs):
        raise OSError(12, "Cannot allocate memory")

    monkeypatch.setattr(huge_pages.mmap, "mmap", no_room)
    vector = huge_pages.zeros(huge_pages.THRESHOLD, np.uint8)
    assert vector.base is None and not vector.any()


@pytest.mark.skipif(not LINUX, reason="huge pages are advised on Linux only")
def test_copies_and_pickles_are_ordinary_arrays_with_the_values():
    vector = huge_pages.empty(huge_pages.THRESHOLD // 4, np.float32)
    vector[...] = np.arange(vector.size, dtype=np.float32)
    for clone in (copy.deepcopy(vector), pickle.loads(pickle.dumps(vector)), vector.copy()):
        np.testing.assert_array_equal(clone, vector)
        assert clone.ctypes.data != vector.ctypes.data


@pytest.mark.skipif(not LINUX, reason="huge pages are advised on Linux only")
@pytest.mark.filterwarnings("ignore:training ended no better than chance")
def test_a_wide_models_training_state_is_on_huge_pages():
    model = MLP([784, 512, 512, 10], seed=0)
    X = np.random.default_rng(0).random((64, 784), dtype=np.float32)
    y = np.arange(64) % 10
    model.fit(X, y, epochs=1, batch_size=32, optimizer=Adam(1e-3), verbose=0)
    vectors = [model.flat_params, model.flat_grads, *model.optimizer.flat_state.values()]
    for vector in vectors:
        assert vector.ctypes.data % huge_pages.HUGE_PAGE == 0
        assert "hg" in _vm_flags(vector.ctypes.data)
    # The layers' parameters are views of the vector the kernel updates.
    assert np.shares_memory(model.layers[0].W, model.flat_params)
