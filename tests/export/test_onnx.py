"""ONNX export: onnxruntime computes what fastmlp computes, for every layer, dtype and batch size.

Each case builds a small network, writes it with ``to_onnx``, checks the file with
``onnx.checker``, runs it in onnxruntime and compares with ``predict_proba`` / ``predict``
of the model on both backends.
"""

import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
import pytest

import fastmlp
from fastmlp import MLP, Dense, Dropout, LeakyReLU, ReLU, Sequential, Sigmoid, Softmax, Tanh
from fastmlp.export.onnx import DEFAULT_OPSET, MIN_OPSET
from fastmlp.layers import Layer

#: float32: the bound the issue sets. float64: onnxruntime evaluates sigmoid and tanh with its
#: own polynomial approximations, good to about 1e-9 relative, so not to the last bit.
TOLERANCE = {"float32": 1e-5, "float64": 1e-8}
ACTIVATIONS = {"relu": ReLU, "leaky_relu": lambda: LeakyReLU(0.2), "sigmoid": Sigmoid,
               "tanh": Tanh}


def session(path):
    return ort.InferenceSession(os.fspath(path), providers=["CPUExecutionProvider"])


def inputs(n, width, dtype, seed=0):
    return np.random.default_rng(seed).normal(size=(n, width)).astype(dtype)


def exported(model, tmp_path, **kwargs):
    """Write ``model`` to ONNX, check the file as onnx reads it back, open a session."""
    path = tmp_path / "model.onnx"
    fastmlp.to_onnx(model, path, **kwargs)
    onnx.checker.check_model(onnx.load(path), full_check=True)
    return session(path)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_classifier_matches_predict_proba_and_predict(activation, dtype, backend, tmp_path):
    make = ACTIVATIONS[activation]
    model = Sequential([Dense(6, 9), make(), Dropout(0.25), Dense(9, 5), make(), Dense(5, 4)],
                       dtype=dtype, backend=backend, seed=3)
    # Weights far enough from zero that every activation works away from its linear part.
    model.fit(inputs(64, 6, dtype), np.arange(64) % 4, epochs=3, batch_size=16, verbose=0,
              optimizer=fastmlp.Adam(0.05))
    sess = exported(model, tmp_path)
    assert [o.name for o in sess.get_outputs()] == ["probabilities", "label"]
    for n in (1, 7, 33):
        X = inputs(n, 6, dtype, seed=n)
        probabilities, label = sess.run(None, {"input": X})
        assert probabilities.dtype == np.dtype(dtype) and probabilities.shape == (n, 4)
        np.testing.assert_allclose(probabilities, model.predict_proba(X), rtol=0,
                                   atol=TOLERANCE[dtype])
        assert label.dtype == np.int64 and label.shape == (n,)
        np.testing.assert_array_equal(label, model.predict(X))


def multilabel_targets(X):
    """Three labels per row, each on or off, that a small network can learn from ``X``."""
    return np.column_stack([X[:, 0] > 0, X[:, 1] + X[:, 2] > 0, X[:, 3] < 0.5]).astype(X.dtype)


@pytest.mark.parametrize("final_sigmoid", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_multilabel_matches_predict_proba_and_predict(dtype, final_sigmoid, backend, tmp_path):
    # A final Sigmoid layer is folded into binary cross-entropy: the graph applies it once.
    tail = [Sigmoid()] if final_sigmoid else []
    model = Sequential([Dense(6, 9), Tanh(), Dropout(0.25), Dense(9, 3)] + tail,
                       loss="binary_cross_entropy", dtype=dtype, backend=backend, seed=3)
    X_train = inputs(64, 6, dtype)
    model.fit(X_train, multilabel_targets(X_train), epochs=3, batch_size=16, verbose=0,
              optimizer=fastmlp.Adam(0.05))
    proto = fastmlp.to_onnx(model, tmp_path / "model.onnx")
    assert [node.op_type for node in proto.graph.node] == ["Gemm", "Tanh", "Gemm", "Sigmoid",
                                                           "Greater", "Cast"]
    sess = exported(model, tmp_path)
    assert [o.name for o in sess.get_outputs()] == ["probabilities", "label"]
    for n in (1, 7, 33):
        X = inputs(n, 6, dtype, seed=n)
        probabilities, label = sess.run(None, {"input": X})
        assert probabilities.dtype == np.dtype(dtype) and probabilities.shape == (n, 3)
        np.testing.assert_allclose(probabilities, model.predict_proba(X), rtol=0,
                                   atol=TOLERANCE[dtype])
        assert label.dtype == np.int64 and label.shape == (n, 3)
        np.testing.assert_array_equal(label, model.predict(X))


def test_multilabel_label_is_strictly_above_one_half(tmp_path):
    # Logits of exactly 0 give probabilities of exactly 0.5: off, as predict has it.
    model = Sequential([Dense(2, 3)], loss="binary_cross_entropy", seed=0)
    model.layers[0].W[...] = [[1, -1, 0], [0, 0, 0]]
    model.layers[0].b[...] = 0
    X = np.array([[2.0, 5.0], [0.0, -1.0], [-2.0, 0.0]], dtype=np.float32)
    probabilities, label = exported(model, tmp_path).run(None, {"input": X})
    assert probabilities[1].tolist() == [0.5, 0.5, 0.5]
    assert label.tolist() == [[1, 0, 0], [0, 0, 0], [0, 1, 0]] == model.predict(X).tolist()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_regressor_values_match_predict(dtype, backend, tmp_path):
    model = MLP([5, 8, 8, 3], activation="tanh", loss="mse", dtype=dtype, backend=backend,
                seed=1)
    sess = exported(model, tmp_path)
    assert [o.name for o in sess.get_outputs()] == ["values"]
    for n in (1, 5, 17):
        X = inputs(n, 5, dtype, seed=n)
        (values,) = sess.run(None, {"input": X})
        assert values.dtype == np.dtype(dtype)
        np.testing.assert_allclose(values, model.predict(X), rtol=0, atol=TOLERANCE[dtype])


def test_final_softmax_layer_and_dense_without_bias(tmp_path):
    model = Sequential([Dense(4, 6, bias=False), ReLU(), Dense(6, 3, bias=False), Softmax()],
                       seed=2)
    proto = fastmlp.to_onnx(model, tmp_path / "m.onnx")
    assert [node.op_type for node in proto.graph.node] == ["MatMul", "Relu", "MatMul",
                                                           "Softmax", "ArgMax"]
    X = inputs(9, 4, "float32")
    probabilities, label = session(tmp_path / "m.onnx").run(None, {"input": X})
    np.testing.assert_allclose(probabilities, model.predict_proba(X), rtol=0, atol=1e-5)
    np.testing.assert_array_equal(label, model.predict(X))


def test_graph_shape_names_and_no_dropout_node(tmp_path):
    model = MLP([784, 32, 10], dropout=0.5, seed=0)
    proto = fastmlp.to_onnx(model, tmp_path / "m.onnx")
    (graph_input,) = proto.graph.input
    dims = graph_input.type.tensor_type.shape.dim
    assert graph_input.name == "input"
    assert (dims[0].dim_param, dims[1].dim_value) == ("batch", 784)
    assert "Dropout" not in {node.op_type for node in proto.graph.node}
    assert proto.opset_import[0].version == DEFAULT_OPSET
    assert proto.producer_name == "fastmlp"


@pytest.mark.parametrize("opset", [MIN_OPSET, 19, onnx.defs.onnx_opset_version()])
def test_every_opset_in_range_runs(opset, tmp_path):
    model = MLP([3, 5, 2], activation="leaky_relu", seed=0)
    sess = exported(model, tmp_path, opset=opset)
    X = inputs(3, 3, "float32")
    probabilities, _ = sess.run(None, {"input": X})
    np.testing.assert_allclose(probabilities, model.predict_proba(X), rtol=0, atol=1e-5)


def test_path_none_returns_the_model_without_writing(tmp_path):
    os.chdir(tmp_path)
    proto = fastmlp.to_onnx(MLP([2, 3, 2], seed=0))
    assert isinstance(proto, onnx.ModelProto) and os.listdir(tmp_path) == []
    sess = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    assert sess.get_inputs()[0].name == "input"


class Wrapper:
    """What a scikit-learn style estimator gives the exporter: a model and its classes."""

    def __init__(self, model, classes):
        self.model, self.classes_ = model, classes

    def __fastmlp_model__(self):
        return self.model


@pytest.mark.parametrize("classes", [np.array([3, 7, 11]), np.array(["cat", "dog", "emu"])])
def test_objects_giving_a_model_export_with_their_class_labels(classes, tmp_path):
    model = MLP([4, 6, 3], seed=5)
    sess = exported(Wrapper(model, classes), tmp_path)
    X = inputs(11, 4, "float32")
    probabilities, label = sess.run(None, {"input": X})
    np.testing.assert_allclose(probabilities, model.predict_proba(X), rtol=0, atol=1e-5)
    assert label.tolist() == classes[model.predict(X)].tolist()


def test_overwrites_atomically_and_leaves_no_temporary_files(tmp_path):
    path = tmp_path / "m.onnx"
    fastmlp.to_onnx(MLP([2, 3, 2], seed=0), path)
    fastmlp.to_onnx(MLP([2, 4, 2], seed=1), path)
    assert os.listdir(tmp_path) == ["m.onnx"]
    assert onnx.load(path).graph.initializer[0].dims == [2, 4]


# ---------------------------------------------------------------- bad input


class Doubler(Layer):
    """A layer no exporter knows."""

    def forward(self, x, training=False):
        return 2 * x


def test_unsupported_layer_is_named_and_nothing_is_written(tmp_path):
    path = tmp_path / "m.onnx"
    path.write_bytes(b"old")
    model = Sequential([Dense(3, 4), ReLU(), Doubler(), Dense(4, 2)], backend="numpy", seed=0)
    with pytest.raises(ValueError, match=r"cannot export layer 2, Doubler\(\)"):
        fastmlp.to_onnx(model, path)
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["m.onnx"]


@pytest.mark.parametrize("opset, error, message", [
    (12, ValueError, r"opset must lie in \[13, \d+\].*got 12"),
    (10**6, ValueError, "opset must lie in"),
    ("17", TypeError, "opset must be an integer, got '17'"),
    (True, TypeError, "opset must be an integer"),
])
def test_bad_opset(opset, error, message, tmp_path):
    with pytest.raises(error, match=message):
        fastmlp.to_onnx(MLP([2, 3, 2], seed=0), tmp_path / "m.onnx", opset=opset)
    assert os.listdir(tmp_path) == []


def test_not_a_model():
    with pytest.raises(TypeError, match="expected a fastmlp model.*got dict"):
        fastmlp.to_onnx({"layers": []}, None)


def test_non_finite_weights_are_refused():
    model = MLP([2, 3, 2], seed=0)
    model.layers[2].W[0, 0] = np.nan
    with pytest.raises(ValueError, match=r"Dense\(3→2\) at position 2.*NaN or infinite"):
        fastmlp.to_onnx(model, None)


def test_wrong_classes_length_is_refused():
    with pytest.raises(ValueError, match=r"classes_ has shape \(2,\).*3 outputs"):
        fastmlp.to_onnx(Wrapper(MLP([2, 3, 3], seed=0), np.array([0, 1])), None)


def test_missing_onnx_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)  # makes `import onnx` fail
    with pytest.raises(ImportError, match=r'to_onnx needs onnx.*pip install "fastmlp\[onnx\]"'):
        fastmlp.to_onnx(MLP([2, 3, 2], seed=0), None)


# ---------------------------------------------------------------- scikit-learn estimators


@pytest.mark.parametrize("classes", [[0, 1, 2], ["setosa", "versicolor", "virginica"],
                                     [-1, 1]])
def test_sklearn_classifier_exports_with_its_classes(classes, tmp_path):
    from fastmlp.sklearn import MLPClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4))
    y = np.array(classes)[np.arange(60) % len(classes)]
    clf = MLPClassifier(hidden_layer_sizes=(7,), max_iter=20, random_state=0)
    with pytest.warns(Warning):  # ConvergenceWarning: 20 iterations are not enough
        clf.fit(X, y)
    sess = exported(clf, tmp_path)
    X_new = inputs(13, 4, "float64", seed=1)
    probabilities, label = sess.run(None, {"input": X_new.astype(clf.model_.dtype)})
    np.testing.assert_allclose(probabilities, clf.predict_proba(X_new), rtol=0,
                               atol=TOLERANCE[np.dtype(clf.model_.dtype).name])
    assert label.tolist() == clf.predict(X_new).tolist()


def test_sklearn_regressor_exports_its_values(tmp_path):
    from fastmlp.sklearn import MLPRegressor

    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    reg = MLPRegressor(hidden_layer_sizes=(6,), max_iter=30, random_state=0)
    with pytest.warns(Warning):
        reg.fit(X, X @ np.array([1.0, -2.0, 0.5]))
    sess = exported(reg, tmp_path)
    X_new = inputs(5, 3, "float64", seed=2)
    (values,) = sess.run(None, {"input": X_new.astype(reg.model_.dtype)})
    # scikit-learn's predict drops the output axis for a 1-D target; ONNX keeps (batch, 1).
    np.testing.assert_allclose(values[:, 0], reg.predict(X_new), rtol=0,
                               atol=TOLERANCE[np.dtype(reg.model_.dtype).name])


def test_sklearn_multilabel_classifier_exports_its_indicators(tmp_path):
    from fastmlp.sklearn import MLPClassifier

    X = np.random.default_rng(0).normal(size=(80, 4))
    Y = multilabel_targets(X).astype(np.int64)
    clf = MLPClassifier(hidden_layer_sizes=(8,), max_iter=30, random_state=0)
    with pytest.warns(Warning):  # ConvergenceWarning: 30 iterations are not enough
        clf.fit(X, Y)
    assert clf.model_.loss == "binary_cross_entropy"
    sess = exported(clf, tmp_path)
    X_new = inputs(13, 4, "float64", seed=1)
    probabilities, label = sess.run(None, {"input": X_new.astype(clf.model_.dtype)})
    np.testing.assert_allclose(probabilities, clf.predict_proba(X_new), rtol=0,
                               atol=TOLERANCE[np.dtype(clf.model_.dtype).name])
    # scikit-learn's multi-label predict is the indicator matrix, one column per label.
    assert label.shape == (13, 3) and label.tolist() == clf.predict(X_new).tolist()
