"""Dataset names, file names, mirrors and checksums (fastmlp.data.sources)."""

from __future__ import annotations

import pytest
from dataset_files import STEMS

import fastmlp.data as fd
from fastmlp.data import sources


def test_published_checksum_table_is_complete():
    for name in sources.DATASET_NAMES:
        assert sorted(sources.CHECKSUMS[name]) == sorted(f"{s}.gz" for s in STEMS)
        for sums in sources.CHECKSUMS[name].values():
            assert len(sums["md5"]) == 32 and len(sums["sha256"]) == 64
            int(sums["md5"], 16), int(sums["sha256"], 16)
    assert all(m.endswith("/") for m in sources.MNIST_MIRRORS + sources.FASHION_MNIST_MIRRORS)


def test_unknown_dataset_name():
    with pytest.raises(ValueError, match=r"unknown dataset 'cifar'; valid names are: 'mnist'"):
        fd.locate("cifar")
