"""What MNIST-format files must hold (fastmlp.data.mnist_checks): 28x28 byte images, labels
0..9, as many labels as images; the edges of what is allowed load.
"""

from __future__ import annotations

import numpy as np
import pytest
from dataset_files import write_dataset

import fastmlp.data as fd
from fastmlp.data import sources


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
