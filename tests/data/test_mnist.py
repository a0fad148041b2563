"""The MNIST / Fashion-MNIST loaders (fastmlp.data.mnist): file names, scaling, a path that
does not hold the files, and the real Fashion-MNIST when it is installed.
"""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import numpy as np
import pytest
from dataset_files import STEMS, assert_loaded, first_pixel, write_dataset

import fastmlp.data as fd
from fastmlp.data import sources


@pytest.mark.parametrize("style", ["gz", "raw", "dotted"])
@pytest.mark.parametrize("scaled", [True, False])
def test_file_name_styles_and_scaling(env, style, scaled):
    arrays = write_dataset(env.root / "d", 88, style=style)
    assert_loaded(fd.load_mnist(env.root / "d", scaled=scaled, download=False), arrays,
                  scaled=scaled)


def test_explicit_path_without_files_warns_and_falls_through(env):
    write_dataset(env.system / "mnist", 44)
    (env.root / "typo").mkdir()
    with pytest.warns(UserWarning, match=r"does not hold MNIST \(no dataset files\); using"):
        assert first_pixel("mnist", path=env.root / "typo") == 44


def test_swapped_files_are_caught(env):
    folder = env.root / "d"
    write_dataset(folder, 5)
    a, b = folder / "train-images-idx3-ubyte.gz", folder / "train-labels-idx1-ubyte.gz"
    tmp = folder / "swap"
    a.rename(tmp)
    b.rename(a)
    tmp.rename(b)
    with pytest.raises(fd.IDXFormatError, match=r"image and label files swapped"):
        fd.load_mnist(folder, download=False)


def test_what_moved_out_is_still_importable_from_here():
    # The search and the checks have their own modules now; fastmlp.data.mnist still
    # offers every public name it did.
    from fastmlp.data import dataset_search, mnist, mnist_checks

    for module, names in [(dataset_search, ["DatasetNotFoundError", "locate"]),
                          (mnist_checks, ["IMAGE_SHAPE", "N_CLASSES"])]:
        for name in names:
            assert getattr(mnist, name) is getattr(module, name), name
    assert fd.DatasetNotFoundError is dataset_search.DatasetNotFoundError
    assert fd.locate is dataset_search.locate


# sha256 of the decompressed official Fashion-MNIST files (the IDX bytes): identical for the
# upstream .gz files and Debian's recompressed copies.
FASHION_RAW_SHA256 = {
    "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}
SYSTEM_FASHION = Path("/usr/share/datasets/fashion-mnist")


@pytest.mark.slow
def test_real_fashion_mnist_from_system_folder(env, monkeypatch):
    if not all((SYSTEM_FASHION / f"{s}.gz").is_file() for s in STEMS):
        pytest.skip(f"Fashion-MNIST is not in {SYSTEM_FASHION} "
                    "(apt-get install dataset-fashion-mnist)")
    monkeypatch.setitem(sources.SYSTEM_DIRS, "fashion-mnist", SYSTEM_FASHION)
    for stem, digest in FASHION_RAW_SHA256.items():
        with gzip.open(SYSTEM_FASHION / f"{stem}.gz") as f:
            assert hashlib.sha256(f.read()).hexdigest() == digest, stem
    (X_train, y_train), (X_test, y_test) = fd.load_fashion_mnist(download=False)
    assert X_train.shape == (60000, 784) and X_test.shape == (10000, 784)
    assert X_train.dtype == np.float32 and y_train.dtype == np.int64
    assert X_train.min() == 0.0 and X_train.max() == 1.0
    assert X_test.min() == 0.0 and X_test.max() == 1.0
    assert np.bincount(y_train).tolist() == [6000] * 10
    assert np.bincount(y_test).tolist() == [1000] * 10
    (R_train, _), _ = fd.load_fashion_mnist(download=False, scaled=False)
    assert R_train.dtype == np.uint8
    np.testing.assert_array_equal(R_train.astype(np.float32) / np.float32(255), X_train)
