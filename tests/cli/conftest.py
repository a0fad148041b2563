"""Fixtures for the command-line tests: a model trained through the CLI, hidden datasets."""

import pytest

from fastmlp.cli import main
from fastmlp.data import sources


@pytest.fixture(scope="module")
def digits_model(tmp_path_factory):
    """A model trained through the CLI on the shipped digits, and that run's output."""
    folder = tmp_path_factory.mktemp("digits")
    path = folder / "digits.npz"
    code = main(["train", "--dataset", "digits", "--epochs", "4", "--no-progress",
                 "--save", str(path)])
    assert code == 0
    return path


@pytest.fixture
def no_datasets_on_disk(tmp_path, monkeypatch):
    """Hide every copy of MNIST and Fashion-MNIST from the loaders."""
    monkeypatch.setenv("FASTMLP_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    for name in sources.DATASET_NAMES:
        monkeypatch.setitem(sources.SYSTEM_DIRS, name, tmp_path / "system" / name)
