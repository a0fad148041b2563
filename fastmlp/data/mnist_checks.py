"""What the files of an MNIST-format dataset must hold, checked once they are read.

:func:`fastmlp.data.read_idx` checks that a file is well-formed IDX; this module checks that
an image file and its label file are what MNIST and Fashion-MNIST promise: 28x28 images of
unsigned bytes, as many labels as images, labels 0..9. Each check names the file at fault.
"""

from __future__ import annotations

import numpy as np

#: What every MNIST-format dataset promises: 28x28 images, labels 0..9.
IMAGE_SHAPE = (28, 28)
N_CLASSES = 10


def check_split(images, labels, files, split, title):
    """Raise unless the two files hold what the dataset promises, matching in length."""
    image_file, label_file = files[split + "_images"], files[split + "_labels"]
    if images.dtype != np.uint8 or labels.dtype != np.uint8:
        raise ValueError(
            f"{image_file} and {label_file} should hold unsigned bytes (IDX code 0x08), got "
            f"{images.dtype} and {labels.dtype}; these are not MNIST-format files"
        )
    if images.shape[1:] != IMAGE_SHAPE:
        raise ValueError(
            f"{image_file} holds images of {images.shape[1]}x{images.shape[2]} pixels, but "
            f"{title} images are 28x28; these are not {title} files (check the folder, or "
            f"read other image files with fastmlp.data.read_idx)"
        )
    if len(images) != len(labels):
        raise ValueError(
            f"{image_file} holds {len(images)} images but {label_file} holds {len(labels)} "
            "labels; the two files do not belong together"
        )
    if len(labels) and labels.max() >= N_CLASSES:
        at = int(np.argmax(labels >= N_CLASSES))
        raise ValueError(
            f"{label_file} holds the label {labels[at]} (sample {at}), but {title} labels "
            f"are 0..{N_CLASSES - 1}; the file is damaged or from another dataset"
        )
