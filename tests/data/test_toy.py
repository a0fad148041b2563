"""The shipped toy datasets (fastmlp.data.toy): digits and iris, with and without scikit-learn."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import fastmlp.data as fd


def test_digits_shape_and_labels():
    X, y = fd.load_digits(split=False, scaled=False)
    assert X.shape == (1797, 64) and X.dtype == np.uint8
    assert y.shape == (1797,) and y.dtype == np.int64
    assert X.min() == 0 and X.max() == 16
    np.testing.assert_array_equal(np.unique(y), np.arange(10))
    Xs, _ = fd.load_digits(split=False)
    assert Xs.dtype == np.float32
    np.testing.assert_array_equal(Xs, X / np.float32(16))


def test_digits_split_is_seeded_and_stratified():
    (X_train, y_train), (X_test, y_test) = fd.load_digits(seed=1)
    assert X_train.shape == (1437, 64) and X_test.shape == (360, 64)
    _, y_all = fd.load_digits(split=False)
    share = np.bincount(y_test, minlength=10) / np.bincount(y_all, minlength=10)
    assert np.all(np.abs(share - 0.2) < 0.02)
    (X_again, _), _ = fd.load_digits(seed=1)
    np.testing.assert_array_equal(X_train, X_again)
    (X_other, _), _ = fd.load_digits(seed=2)
    assert not np.array_equal(X_train, X_other)
    together = np.concatenate([X_train, X_test])
    X_all, _ = fd.load_digits(split=False)
    assert sorted(r.tobytes() for r in together) == sorted(r.tobytes() for r in X_all)


def test_shipped_files_hold_no_pickle():
    import fastmlp

    folder = Path(fastmlp.__file__).parent / "_data"
    for name in ("digits.npz", "iris.npz"):
        with np.load(folder / name, allow_pickle=False) as npz:
            assert sorted(npz.files) == ["data", "target"]
            assert npz["data"].dtype == np.uint8 and npz["target"].dtype == np.uint8
    assert "CC BY 4.0" in (folder / "README.md").read_text()


def test_toy_sets_load_without_sklearn(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    assert fd.load_digits(split=False)[0].shape == (1797, 64)
    assert fd.load_iris(split=False)[0].shape == (150, 4)


def test_importing_fastmlp_data_does_not_import_sklearn():
    code = ("import sys; sys.modules['sklearn'] = None; import fastmlp.data as d; "
            "print(d.load_digits(split=False)[0].shape, d.load_iris()[1][0].shape)")
    repo = str(Path(__file__).resolve().parents[2])
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={**os.environ, "PYTHONPATH": repo})
    assert out.stdout.strip() == "(1797, 64) (30, 4)"


def test_digits_equal_sklearn():
    datasets = pytest.importorskip("sklearn.datasets")
    ref = datasets.load_digits()
    X, y = fd.load_digits(split=False, scaled=False)
    np.testing.assert_array_equal(X, ref.data)
    np.testing.assert_array_equal(y, ref.target)


def test_iris_equal_sklearn_and_scaling():
    datasets = pytest.importorskip("sklearn.datasets")
    ref = datasets.load_iris()
    X, y = fd.load_iris(split=False, scaled=False)
    assert X.dtype == np.float32 and X.shape == (150, 4)
    np.testing.assert_array_equal(X, ref.data.astype(np.float32))
    np.testing.assert_array_equal(y, ref.target)
    assert list(ref.target_names) == list(fd.IRIS_CLASSES)


def test_iris_scaled_with_training_statistics_only():
    (X_train, y_train), (X_test, _) = fd.load_iris(seed=3)
    (R_train, r_train), (R_test, _) = fd.load_iris(seed=3, scaled=False)
    np.testing.assert_array_equal(y_train, r_train)
    R_train, R_test = R_train.astype(np.float64), R_test.astype(np.float64)
    mean, std = R_train.mean(axis=0), R_train.std(axis=0)
    # Features are within +-4 sd, so float32 rounding stays below 4 * 2**-24 < 1e-6.
    np.testing.assert_allclose(X_train, (R_train - mean) / std, rtol=0, atol=1e-6)
    np.testing.assert_allclose(X_test, (R_test - mean) / std, rtol=0, atol=1e-6)
    np.testing.assert_allclose(X_train.mean(axis=0, dtype=np.float64), 0, atol=1e-6)
    assert np.abs(X_test.mean(axis=0)).max() > 1e-3  # test part is not re-centred on itself
    assert np.bincount(y_train).tolist() == [40, 40, 40]
    X_all, _ = fd.load_iris(split=False)
    np.testing.assert_allclose(X_all.std(axis=0, dtype=np.float64), 1, rtol=0, atol=1e-6)
