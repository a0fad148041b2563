"""Where the MNIST-format datasets are looked for (fastmlp.data.dataset_search): the search
order, partial folders, and the message when a dataset is nowhere.
"""

from __future__ import annotations

import pytest
from dataset_files import first_pixel, write_dataset

import fastmlp.data as fd
from fastmlp.data import sources


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


def test_partial_folder_is_skipped_and_reported(env):
    folder = env.system / "mnist"
    write_dataset(folder, 44)
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    files, looked = fd.locate("mnist")
    assert files is None
    assert (f"system folder: {folder}", "missing t10k-labels-idx1-ubyte") in looked


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
