"""fastmlp.compat.modelbuilder.model: Model and Layer's README example, one sample per column,
the core network built from the layers added, and the layers refused."""

import numpy as np
import pytest

from fastmlp.compat import Layer, Model


def test_model_identity_readme_example(backend, capsys):
    # As in the README, plus seed= and backend=: unseeded, a 4-unit ReLU layer can start
    # with a dead unit and then cannot separate four classes.
    model = Model(4, 4, seed=0, backend=backend)
    model.add_layer(4, 4, 0, activation=Layer.reLu)
    model.add_layer(4, 4, 1, activation=Layer.softmax)
    input_batch = np.array([[1, 0, 0, 0],
                            [0, 1, 0, 0],
                            [0, 0, 1, 0],
                            [0, 0, 0, 1]])
    true_output_batch = np.array([[1, 0, 0, 0],
                                  [0, 1, 0, 0],
                                  [0, 0, 1, 0],
                                  [0, 0, 0, 1]])
    untrained_output = model.process_raw_single_input(np.array([[1], [0], [0], [0]]))
    print(f"Untrained Model Input: \n {model.neural_network.input}")
    print(f"Untrained Model Output: \n {untrained_output}")
    model.train_model(input_batch, true_output_batch)
    trained_output = model.process_raw_single_input(np.array([[1], [0], [0], [0]]))
    print(f"Trained Model Input: \n {model.neural_network.input}")
    print(f"Trained Model Output: \n {model.training_architecture.neural_network.output}")
    assert "Trained Model Output" in capsys.readouterr().out
    assert untrained_output.shape == trained_output.shape == (4, 1)
    np.testing.assert_array_equal(model.neural_network.input, [[1], [0], [0], [0]])
    assert model.training_architecture.neural_network.output is trained_output
    assert trained_output[0, 0] > 0.9 > untrained_output[0, 0]
    columns = model.process_raw_single_input(input_batch)
    np.testing.assert_array_equal(columns.argmax(axis=0), [0, 1, 2, 3])


def test_model_layout_is_one_sample_per_column():
    # Non-square data: 3 features, 5 samples, in columns; rows are the transpose.
    rng = np.random.default_rng(1)
    inputs, labels = rng.normal(size=(3, 5)), np.array([0, 1, 0, 1, 1])
    outputs = []
    for layout, data in (("columns", inputs), ("rows", inputs.T)):
        model = Model(3, 2, layout=layout, seed=0)
        model.add_layer(3, 4, 0, activation="tanh")
        model.add_layer(4, 2, 1, activation=Layer.softmax)
        model.train_model(data, labels, epochs=20)
        outputs.append(model.process_raw_single_input(data))
    assert outputs[0].shape == (2, 5) and outputs[1].shape == (5, 2)
    np.testing.assert_allclose(outputs[0], outputs[1].T)
    model = Model(3, 2)
    model.add_layer(3, 2, 0, activation=Layer.softmax)
    with pytest.raises(ValueError, match="layout='rows'"):
        model.train_model(inputs.T, labels)


def test_model_regression_output_uses_mean_squared_error(backend):
    rng = np.random.default_rng(0)
    inputs = rng.uniform(-1, 1, size=(2, 64))
    targets = (inputs.sum(axis=0, keepdims=True) > 0).astype(float)  # (1, 64), columns
    model = Model(2, 1, seed=0, backend=backend)
    model.add_layer(2, 8, 0, activation=Layer.tanh)
    model.add_layer(8, 1, 1, activation=Layer.sigmoid)
    history = model.train_model(inputs, targets, epochs=300, learning_rate=1.0)
    assert model.model.loss == "mse"
    out = model.process_raw_single_input(inputs)
    assert out.shape == (1, 64) and ((out > 0) & (out < 1)).all()
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]


def test_model_add_layer_inserts_at_index():
    model = Model(2, 3)
    model.add_layer(4, 3, 0, activation=Layer.softmax)
    model.add_layer(2, 4, 0, activation=Layer.sigmoid)
    assert [(spec.n_in, spec.n_out) for spec in model.layers] == [(2, 4), (4, 3)]
    assert model.model.n_inputs == 2 and model.model.n_outputs == 3


def test_convolution_and_pooling_are_not_provided():
    model = Model(784, 10)
    for method in (model.add_conv_layer, model.add_pooling_layer):
        with pytest.raises(NotImplementedError, match="multilayer-perceptron library"):
            method(3, 3)


@pytest.mark.parametrize("layers, match", [
    ([], "no layers"),
    ([(3, 4, "relu"), (4, 2, Layer.softmax)], "layer 0 takes 3 inputs"),
    ([(2, 4, "relu"), (5, 2, Layer.softmax)], "layer 1 takes 5 inputs"),
    ([(2, 4, Layer.softmax), (4, 2, Layer.softmax)], "only for the output layer"),
    ([(2, 4, "relu"), (4, 3, Layer.softmax)], "gives 3 outputs"),
])
def test_model_rejects_inconsistent_layers(layers, match):
    model = Model(2, 2)
    for i, (n_in, n_out, activation) in enumerate(layers):
        model.add_layer(n_in, n_out, i, activation=activation)
    with pytest.raises(ValueError, match=match):
        model.model  # noqa: B018 (building the core model is what raises)


def test_model_rejects_bad_add_layer_arguments():
    model = Model(2, 2)
    with pytest.raises(ValueError, match="leaves a gap"):
        model.add_layer(2, 2, 1)
    with pytest.raises(ValueError, match="unknown activation"):
        model.add_layer(2, 2, 0, activation="swish")
    model.add_layer(2, 2, 0, activation=Layer.softmax, dropout=0.5)
    with pytest.raises(ValueError, match="output layer"):
        model.model  # noqa: B018
