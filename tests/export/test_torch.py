"""PyTorch interop: ``to_torch`` computes what the model computes, ``from_torch`` reads torch
modules back, round trips keep every weight bit for bit, and bad modules get clear errors."""

import sys

import numpy as np
import pytest
import torch
from torch import nn

import fastmlp
from fastmlp import MLP, Dense, Dropout, LeakyReLU, ReLU, Sequential, Sigmoid, Softmax, Tanh


def inputs(n, width, dtype, seed=0):
    return np.random.default_rng(seed).normal(size=(n, width)).astype(dtype)


def run(module, X):
    with torch.no_grad():
        return module(torch.from_numpy(X)).numpy()


def every_layer_model(dtype, backend="numpy"):
    return Sequential([Dense(5, 8), LeakyReLU(0.1), Dropout(0.3), Dense(8, 6, bias=False),
                       Sigmoid(), Dense(6, 6), Tanh(), Dense(6, 4), ReLU(), Dense(4, 3),
                       Softmax()], dtype=dtype, backend=backend, seed=4)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_to_torch_gives_logits_or_probabilities(dtype, backend):
    model = every_layer_model(dtype, backend)
    module = fastmlp.to_torch(model)
    assert not module.training
    assert [type(m).__name__ for m in module] == [
        "Linear", "LeakyReLU", "Dropout", "Linear", "Sigmoid", "Linear", "Tanh", "Linear",
        "ReLU", "Linear"]
    assert module[0].weight.dtype == getattr(torch, dtype)
    assert module[3].bias is None and module[1].negative_slope == 0.1 and module[2].p == 0.3
    tolerance = 1e-6 if dtype == "float32" else 1e-13
    for n in (1, 7):
        X = inputs(n, 5, dtype, seed=n)
        logits = run(module, X)
        np.testing.assert_allclose(torch.softmax(torch.from_numpy(logits), 1).numpy(),
                                   model.predict_proba(X), rtol=0, atol=tolerance)
        np.testing.assert_array_equal(logits.argmax(1), model.predict(X))
        probabilities = run(fastmlp.to_torch(model, softmax=True), X)
        np.testing.assert_allclose(probabilities, model.predict_proba(X), rtol=0,
                                   atol=tolerance)


def test_to_torch_regressor():
    model = MLP([3, 6, 2], activation="sigmoid", loss="mse", seed=0)
    X = inputs(5, 3, "float32")
    np.testing.assert_allclose(run(fastmlp.to_torch(model), X), model.predict(X), rtol=0,
                               atol=1e-6)
    with pytest.raises(ValueError, match="softmax=True needs a classifier"):
        fastmlp.to_torch(model, softmax=True)


@pytest.mark.parametrize("final_sigmoid", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_to_torch_multilabel_gives_logits_or_probabilities(dtype, final_sigmoid, backend):
    tail = [Sigmoid()] if final_sigmoid else []
    model = Sequential([Dense(5, 8), Tanh(), Dropout(0.2), Dense(8, 3)] + tail,
                       loss="binary_cross_entropy", dtype=dtype, backend=backend, seed=2)
    # The final Sigmoid layer is folded into the loss: the module ends with the logits.
    module = fastmlp.to_torch(model)
    assert [type(m).__name__ for m in module] == ["Linear", "Tanh", "Dropout", "Linear"]
    with_sigmoid = fastmlp.to_torch(model, sigmoid=True)
    assert type(with_sigmoid[-1]) is nn.Sigmoid and len(with_sigmoid) == 5
    tolerance = 1e-6 if dtype == "float32" else 1e-13
    for n in (1, 7):
        X = inputs(n, 5, dtype, seed=n)
        logits = run(module, X)
        np.testing.assert_allclose(torch.sigmoid(torch.from_numpy(logits)).numpy(),
                                   model.predict_proba(X), rtol=0, atol=tolerance)
        np.testing.assert_array_equal((logits > 0).astype(np.int64), model.predict(X))
        np.testing.assert_allclose(run(with_sigmoid, X), model.predict_proba(X), rtol=0,
                                   atol=tolerance)


@pytest.mark.parametrize("sigmoid", [False, True])
def test_multilabel_round_trip(sigmoid):
    model = MLP([4, 6, 3], loss="binary_cross_entropy", seed=0)
    back = fastmlp.from_torch(fastmlp.to_torch(model, sigmoid=sigmoid),
                              loss="binary_cross_entropy")
    # With sigmoid=True the module's Sigmoid comes back as a final layer, folded into the loss.
    assert [type(layer) for layer in back.layers] == (
        [type(layer) for layer in model.layers] + ([Sigmoid] if sigmoid else []))
    X = inputs(9, 4, "float32")
    np.testing.assert_array_equal(back.predict_proba(X), model.predict_proba(X))
    np.testing.assert_array_equal(back.predict(X), model.predict(X))


@pytest.mark.parametrize("loss, options, message", [
    ("binary_cross_entropy", {"softmax": True},
     r"softmax=True needs a classifier.*loss='binary_cross_entropy'.*sigmoid=True gives"),
    ("cross_entropy", {"sigmoid": True},
     r"sigmoid=True needs a multi-label model.*loss='cross_entropy'.*softmax=True gives"),
    ("mse", {"sigmoid": True}, r"sigmoid=True needs a multi-label model.*loss='mse'.*regressor"),
    ("binary_cross_entropy", {"softmax": True, "sigmoid": True}, "cannot both be asked"),
])
def test_to_torch_output_option_must_fit_the_loss(loss, options, message):
    with pytest.raises(ValueError, match=message):
        fastmlp.to_torch(MLP([2, 3, 2], loss=loss, seed=0), **options)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_round_trip_keeps_every_weight_and_layer(dtype, backend):
    model = every_layer_model(dtype)
    back = fastmlp.from_torch(fastmlp.to_torch(model), backend=backend)
    assert back.dtype == model.dtype and back.backend == backend and back.is_classifier
    assert [type(layer) for layer in back.layers] == [type(layer) for layer in model.layers[:-1]]
    for mine, theirs in zip(model.parameters(), back.parameters()):
        np.testing.assert_array_equal(mine, theirs)
    X = inputs(9, 5, dtype)
    np.testing.assert_array_equal(back.predict_proba(X), model.to_backend(backend)
                                  .predict_proba(X))


def test_from_torch_reads_a_torch_network_and_keeps_training():
    torch.manual_seed(0)
    module = nn.Sequential(nn.Linear(4, 16), nn.ReLU(),
                           nn.Sequential(nn.Dropout(0.2), nn.Identity(), nn.Linear(16, 3)),
                           nn.Softmax(dim=1)).eval()
    model = fastmlp.from_torch(module, seed=0)
    assert [type(layer).__name__ for layer in model.layers] == ["Dense", "ReLU", "Dropout",
                                                               "Dense"]
    X = inputs(10, 4, "float32")
    np.testing.assert_allclose(model.predict_proba(X), run(module, X), rtol=0, atol=1e-6)
    # The weights sit in the model's own parameter vector: training moves them.
    before = model.parameters()[0].copy()
    model.fit(X, np.arange(10) % 3, epochs=2, batch_size=5, verbose=0)
    assert not np.array_equal(before, model.parameters()[0])


def test_from_torch_after_training_in_torch():
    model = MLP([4, 8, 3], seed=1)
    module = fastmlp.to_torch(model).train()
    X = inputs(32, 4, "float32")
    y = torch.from_numpy(np.arange(32) % 3)
    optimizer = torch.optim.SGD(module.parameters(), lr=0.1)
    for _ in range(5):
        optimizer.zero_grad()
        nn.functional.cross_entropy(module(torch.from_numpy(X)), y).backward()
        optimizer.step()
    back = fastmlp.from_torch(module.eval())
    np.testing.assert_allclose(back.predict_proba(X),
                               torch.softmax(torch.from_numpy(run(module, X)), 1).numpy(),
                               rtol=0, atol=1e-6)


def test_from_torch_regressor_and_dtype_override():
    module = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 1)).double()
    model = fastmlp.from_torch(module, loss="mse", dtype="float32")
    assert model.dtype == np.float32 and not model.is_classifier
    X = inputs(6, 3, "float64")
    np.testing.assert_allclose(model.predict(X), run(module, X), rtol=0, atol=1e-5)


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("module, message", [
    (nn.Linear(3, 2), r"needs a torch.nn.Sequential, got Linear"),
    (nn.Sequential(), "is empty"),
    (nn.Sequential(nn.Linear(3, 4), nn.GELU(), nn.Conv1d(1, 1, 1)),
     r"module 1, GELU\(approximate='none'\), has no fastmlp layer"),
    (nn.Sequential(nn.Linear(3, 4), nn.Sequential(nn.ReLU(), nn.BatchNorm1d(4))),
     r"module 1.1, BatchNorm1d\(4.*has no fastmlp layer"),
    (nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(5, 2)),
     r"shape mismatch: module 2, Linear\(in_features=5.*takes 5 inputs but module 0, "
     r"Linear\(in_features=3, out_features=4.*gives 4"),
    (nn.Sequential(nn.ReLU(), nn.Linear(3, 2)), "module 0, ReLU().*before the first Linear"),
    (nn.Sequential(nn.Identity(), nn.Softmax(dim=1)), "holds no Linear"),
    (nn.Sequential(nn.Linear(3, 4), nn.Softmax(dim=1), nn.Linear(4, 2)),
     r"module 1, Softmax\(dim=1\), has no fastmlp layer"),
    (nn.Sequential(nn.Linear(3, 4), nn.Softmax(dim=0)), r"module 1, Softmax\(dim=0\)"),
    (nn.Sequential(nn.Linear(3, 4), nn.Dropout(1.0), nn.Linear(4, 2)),
     r"module 1, Dropout\(p=1.0.*Dropout p"),
    (nn.Sequential(nn.Linear(3, 2).half()), r"module 0, Linear.*float16 weights"),
    (nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2).double()), "mix dtypes"),
    (nn.Sequential(nn.Linear(3, 1)), r"gives 1 output.*loss='mse'"),
])
def test_from_torch_errors_name_the_module(module, message):
    with pytest.raises((TypeError, ValueError), match=message):
        fastmlp.from_torch(module)


def test_from_torch_non_finite_weights():
    module = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    with torch.no_grad():
        module[2].bias[1] = float("inf")
    with pytest.raises(ValueError, match="module 2, Linear.*NaN or infinite"):
        fastmlp.from_torch(module)


def test_from_torch_softmax_needs_cross_entropy():
    with pytest.raises(ValueError, match="ends with Softmax.*not 'mse'"):
        fastmlp.from_torch(nn.Sequential(nn.Linear(3, 2), nn.Softmax(dim=1)), loss="mse")


def test_to_torch_refuses_what_it_cannot_write():
    from fastmlp.layers import Layer

    class Custom(Layer):
        pass

    model = Sequential([Dense(3, 4), Custom(), Dense(4, 2)], backend="numpy", seed=0)
    with pytest.raises(ValueError, match=r"cannot export layer 1, Custom\(\)"):
        fastmlp.to_torch(model)
    with pytest.raises(TypeError, match="softmax must be True or False"):
        fastmlp.to_torch(MLP([2, 3, 2]), softmax="yes")
    with pytest.raises(TypeError, match="sigmoid must be True or False, got 1"):
        fastmlp.to_torch(MLP([2, 3, 2], loss="bce"), sigmoid=1)


@pytest.mark.parametrize("call", [lambda: fastmlp.to_torch(MLP([2, 3, 2])),
                                  lambda: fastmlp.from_torch(object())])
def test_missing_torch_names_the_extra(call, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(ImportError, match=r'needs torch.*pip install "fastmlp\[peers\]"'):
        call()


def test_binary_sklearn_classifier_gives_its_second_class_probability():
    from fastmlp.sklearn import MLPClassifier

    X = np.random.default_rng(0).normal(size=(60, 4))
    y = np.where(X[:, 0] + X[:, 1] > 0, "yes", "no")
    clf = MLPClassifier(hidden_layer_sizes=(7,), max_iter=200, random_state=0).fit(X, y)
    assert clf.n_outputs_ == 1
    module = fastmlp.to_torch(clf, sigmoid=True)
    with torch.no_grad():
        p = module(torch.from_numpy(X.astype(clf.model_.dtype))).numpy()
    np.testing.assert_allclose(p, clf.predict_proba(X)[:, 1:], rtol=1e-6)
    with pytest.raises(ValueError, match="one logistic unit: sigmoid=True"):
        fastmlp.to_torch(clf, softmax=True)
