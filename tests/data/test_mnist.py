"""The MNIST / Fashion-MNIST loaders (fastmlp.data.mnist): search order, file names,
consistency checks, and the real Fashion-MNIST when it is installed.
"""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import numpy as np
import pytest
from dataset_files import STEMS, assert_loaded, write_dataset

import fastmlp.data as fd
from fastmlp.data import sources


def first_pixel(name, **kw):
    loader = fd.load_mnist if name == "mnist" else fd.load_fashion_mnist
    (X_train, _), _ = loader(scaled=False, download=False, **kw)
    return int(X_train[0, 0])


@pytest.mark.parametrize("name", sources.DATASET_NAMES)
def test_search_order(env, monkeypatch, name):
    explicit = env.root / "explicit"
    data = env.root / "data"
    write_dataset(explicit, 11)
    write_dataset(data / name, 22)
    write_dataset(env.cache / name, 33)
    write_dataset(env.system / name, 44)
    monkeypatch.setenv("FASTMLP_DATA", str(data))
    assert first_pixel(name, path=explicit) == 11
    assert first_pixel(name) == 22
    monkeypatch.delenv("FASTMLP_DATA")
    assert first_pixel(name) == 33
    monkeypatch.setenv("XDG_CACHE_HOME", str(env.root / "elsewhere"))
    assert first_pixel(name) == 44


def test_fastmlp_data_subfolder_beats_flat_files(env, monkeypatch):
    data = env.root / "data"
    write_dataset(data, 55, style="raw")
    monkeypatch.setenv("FASTMLP_DATA", str(data))
    assert first_pixel("mnist") == 55
    write_dataset(data / "mnist", 66)
    assert first_pixel("mnist") == 66


def test_cache_defaults_to_home_without_xdg(env, monkeypatch):
    monkeypatch.delenv("XDG_CACHE_HOME")
    home_cache = env.root / "home" / ".cache" / "fastmlp" / "fashion-mnist"
    assert fd.cache_dir("fashion-mnist") == home_cache
    write_dataset(home_cache, 77)
    assert first_pixel("fashion-mnist") == 77
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/is/ignored")
    assert fd.cache_dir("fashion-mnist") == home_cache


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


def test_partial_folder_is_skipped_and_reported(env):
    folder = env.system / "mnist"
    write_dataset(folder, 44)
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    files, looked = fd.locate("mnist")
    assert files is None
    assert (f"system folder: {folder}", "missing t10k-labels-idx1-ubyte") in looked


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


def test_mismatched_counts_are_caught(env):
    folder = env.root / "d"
    write_dataset(folder, 5)
    fd.write_idx(folder / "t10k-labels-idx1-ubyte.gz", np.zeros(3, np.uint8))
    with pytest.raises(ValueError, match=r"holds 4 images but .* holds 3 labels"):
        fd.load_mnist(folder, download=False)


@pytest.mark.parametrize("name", sources.DATASET_NAMES)
@pytest.mark.parametrize("label", [10, 199, 255])
def test_labels_outside_0_to_9_are_refused(env, name, label):
    folder = env.root / "d"
    arrays = write_dataset(folder, 5)
    labels = arrays["train_labels"].copy()
    labels[3] = label
    fd.write_idx(folder / "train-labels-idx1-ubyte.gz", labels)
    title = sources.TITLES[name]
    with pytest.raises(ValueError, match=rf"train-labels-idx1-ubyte\.gz holds the label "
                                         rf"{label} \(sample 3\), but {title} labels are "
                                         r"0\.\.9; the file is damaged or from another"):
        loader = fd.load_mnist if name == "mnist" else fd.load_fashion_mnist
        loader(folder, download=False)


@pytest.mark.parametrize("shape", [(6, 28, 27), (6, 27, 28), (6, 8, 8), (6, 784, 1)])
def test_images_other_than_28_by_28_are_refused(env, shape):
    folder = env.root / "d"
    write_dataset(folder, 5)
    fd.write_idx(folder / "train-images-idx3-ubyte.gz", np.zeros(shape, np.uint8))
    with pytest.raises(ValueError, match=rf"train-images-idx3-ubyte\.gz holds images of "
                                         rf"{shape[1]}x{shape[2]} pixels, but Fashion-MNIST "
                                         r"images are 28x28"):
        fd.load_fashion_mnist(folder, download=False)


def test_images_of_another_dtype_are_refused(env):
    folder = env.root / "d"
    write_dataset(folder, 5)
    fd.write_idx(folder / "t10k-images-idx3-ubyte.gz", np.zeros((4, 28, 28), np.float32))
    with pytest.raises(ValueError, match=r"should hold unsigned bytes \(IDX code 0x08\), got "
                                         r"float32 and uint8"):
        fd.load_mnist(folder, download=False)


def test_the_full_range_of_labels_and_empty_splits_load(env):
    folder = env.root / "d"
    arrays = write_dataset(folder, 5)
    fd.write_idx(folder / "train-labels-idx1-ubyte.gz", np.array([0, 9, 9, 0, 1, 8], np.uint8))
    fd.write_idx(folder / "t10k-images-idx3-ubyte.gz", np.zeros((0, 28, 28), np.uint8))
    fd.write_idx(folder / "t10k-labels-idx1-ubyte.gz", np.zeros(0, np.uint8))
    (X, y), (X_test, y_test) = fd.load_mnist(folder, download=False)
    assert y.tolist() == [0, 9, 9, 0, 1, 8] and X.shape == (6, 784)
    assert X_test.shape == (0, 784) and y_test.shape == (0,)
    assert np.array_equal(X, arrays["train_images"].reshape(6, 784) / np.float32(255))


def test_everything_missing_lists_every_place(env, monkeypatch, closed_port_url):
    monkeypatch.setenv("FASTMLP_DATA", str(env.root / "data"))
    (env.root / "data").mkdir()
    with pytest.raises(fd.DatasetNotFoundError) as info:
        fd.load_fashion_mnist(env.root / "nowhere", mirrors=[closed_port_url], progress=False)
    msg = str(info.value)
    assert isinstance(info.value, FileNotFoundError)
    for expected in [
        f"1. path argument: {env.root / 'nowhere'}: does not exist",
        f"2. $FASTMLP_DATA/fashion-mnist: {env.root / 'data' / 'fashion-mnist'}: does not exist",
        f"3. $FASTMLP_DATA: {env.root / 'data'}: no dataset files",
        f"4. cache: {env.cache / 'fashion-mnist'}: does not exist",
        f"5. system folder: {env.system / 'fashion-mnist'}: does not exist",
        f"6. download into {env.cache / 'fashion-mnist'}: could not download "
        "train-images-idx3-ubyte.gz from any mirror",
        f"{closed_port_url}train-images-idx3-ubyte.gz: could not connect",
        "sudo apt-get install dataset-fashion-mnist",
        "$FASTMLP_DATA",
        f"download them yourself from {closed_port_url}",
        "$FASTMLP_FASHION_MNIST_MIRROR",
    ]:
        assert expected in msg
    assert len(info.value.looked) == 6
    assert not env.cache.exists()  # a failed download leaves no folders behind either


def test_download_false_says_so(env):
    with pytest.raises(fd.DatasetNotFoundError,
                       match=r"(?s)download: skipped \(download=False\).*pass download=True"):
        fd.load_mnist(download=False)




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
