"""The peer trainers, run for real on tiny problems: each times its training and scores it."""

import io

import numpy as np
import pytest

from fastmlp.bench import peers
from fastmlp.bench.sizes import synthetic_data

SIZES = (16, 12, 3)


@pytest.fixture(scope="module")
def problem():
    X, y = synthetic_data(SIZES, 700, seed=3)
    return X[:600], y[:600], X[600:], y[600:]


@pytest.fixture
def one_torch_thread():
    """PyTorch's thread pool spins on a loaded machine: one thread keeps these tests short."""
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_implementations_list_fastmlp_the_loop_and_installed_peers():
    out = io.StringIO()
    assert list(peers.implementations(False, out)) == ["fastmlp numba", "fastmlp numpy",
                                                       "numpy loop"]
    assert out.getvalue() == ""
    names = list(peers.implementations(True, out))
    assert names[:3] == ["fastmlp numba", "fastmlp numpy", "numpy loop"]
    for label, module in (("pytorch", "torch"), ("scikit-learn", "sklearn")):
        installed = peers.optional(module) is not None
        assert (label in names) == installed
        assert (label in out.getvalue()) == (not installed)


def test_an_absent_peer_is_skipped_with_the_extra_to_install(monkeypatch):
    monkeypatch.setattr(peers, "optional", lambda name: None)
    out = io.StringIO()
    assert "pytorch" not in peers.implementations(True, out)
    assert 'pytorch is not installed: skipping its rows (pip install "fastmlp[peers]")' in (
        out.getvalue())


@pytest.mark.usefixtures("one_torch_thread")
def test_every_trainer_times_its_training_and_scores_the_test_set(problem):
    X, y, Xt, yt = problem
    for name, train in peers.implementations(True, io.StringIO()).items():
        seconds, accuracy = train(SIZES, X, y, Xt, yt, 1, 0)
        assert seconds > 0, name
        assert 0.0 <= accuracy <= 1.0, name


def test_fastmlp_and_the_loop_learn_the_same_problem(problem):
    """Same settings, same data: all three get far above chance (1/3) in 60 epochs (300 steps)."""
    X, y, Xt, yt = problem
    impls = peers.implementations(False, io.StringIO())
    accuracies = {name: train(SIZES, X, y, Xt, yt, 60, 0)[1] for name, train in impls.items()}
    assert min(accuracies.values()) > 0.9, accuracies


def test_the_dataset_is_synthetic_for_other_shapes():
    out = io.StringIO()
    X, y, Xt, yt, source = peers.dataset((20, 5, 4), 300, out)
    assert source == "synthetic" and X.shape == (300, 20) and Xt.shape == (10_000, 20)
    assert y.max() < 4 and out.getvalue() == ""


def test_a_missing_fashion_mnist_falls_back_and_says_so(monkeypatch):
    def missing(**kwargs):
        raise FileNotFoundError("not here")

    monkeypatch.setattr(peers, "load_fashion_mnist", missing)
    out = io.StringIO()
    X, _, _, _, source = peers.dataset((784, 16, 10), 200, out)
    assert source == "synthetic" and X.shape == (200, 784)
    assert "Fashion-MNIST not available (FileNotFoundError)" in out.getvalue()


@pytest.mark.usefixtures("one_torch_thread")
def test_xor_trainers_step_and_score():
    for seconds, accuracy in (peers.xor_fastmlp("numba", 50, 0), peers.xor_fastmlp("numpy", 5, 0),
                              peers.xor_fastmlp_calls(5, 0), peers.xor_torch(5, 0)):
        assert seconds > 0 and accuracy in (0.0, 0.25, 0.5, 0.75, 1.0)
    # 2,000 full-batch SGD steps at lr 0.5 solve XOR.
    assert peers.xor_fastmlp("numba", 2000, 0)[1] == 1.0
    assert np.array_equal(peers.XOR_Y, [0, 1, 1, 0])
