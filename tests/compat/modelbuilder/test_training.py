"""fastmlp.compat.modelbuilder.training: train_model's planned features mapped onto the core,
and the arguments refused."""

import numpy as np
import pytest

from fastmlp import Adam, RMSprop, StepDecay
from fastmlp.compat import Layer, Model

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
XOR_LABELS = np.array([0, 1, 1, 0])


def test_model_planned_features_map_onto_the_core():
    model = Model(4, 4, seed=0)
    model.add_layer(4, 16, 0, activation=Layer.leaky_reLu, init="xavier", dropout=0.2)
    model.add_layer(16, 4, 1, activation=Layer.softmax)
    schedule = StepDecay(0.05, step_size=100)
    history = model.train_model(np.eye(4), np.arange(4), epochs=300, optimizer="adam",
                                lr_schedule=schedule, l2=1e-4, batch_size=2)
    core = model.model
    assert [type(layer).__name__ for layer in core.layers] == [
        "Dense", "LeakyReLU", "Dropout", "Dense", "Softmax"]
    assert core.layers[0].init == "xavier" and core.layers[2].p == 0.2
    assert isinstance(core.optimizer, Adam)
    assert core.optimizer.lr is schedule and core.optimizer.weight_decay == 1e-4
    assert core.optimizer.iterations == 300 * 2  # batches of 2 out of 4 samples
    assert history.history["loss"][-1] < history.history["loss"][0]
    model.train_model(np.eye(4), np.arange(4), epochs=1, optimizer="rmsprop")
    assert isinstance(core.optimizer, RMSprop) and core.optimizer.lr == 0.01
    model.train_model(np.eye(4), np.arange(4), epochs=1, momentum=0.9)
    assert core.optimizer.momentum == 0.9 and core.optimizer.lr == 0.1


def test_train_model_rejects_bad_arguments():
    model = Model(2, 2)
    model.add_layer(2, 2, 0, activation=Layer.softmax)
    data, labels = XOR_X.T, XOR_LABELS
    with pytest.raises(ValueError, match="unknown optimizer"):
        model.train_model(data, labels, optimizer="lbfgs")
    with pytest.raises(ValueError, match="not both"):
        model.train_model(data, labels, learning_rate=0.1, lr_schedule=StepDecay(0.1, 10))
    with pytest.raises(ValueError, match="momentum"):
        model.train_model(data, labels, optimizer="adam", momentum=0.9)
    with pytest.raises(ValueError, match="not both"):
        model.train_model(data, labels, optimizer=Adam(0.01), learning_rate=0.1)
