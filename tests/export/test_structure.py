"""Reading a model for export: the steps every exporter walks, and what is refused."""

import numpy as np
import pytest

from fastmlp import MLP, Dense, Dropout, LeakyReLU, ReLU, Sequential, Sigmoid, Softmax
from fastmlp.export._structure import as_model, read_structure


def test_steps_skip_dropout_and_the_final_softmax():
    model = Sequential([Dense(3, 4), LeakyReLU(0.3), Dropout(0.5), Dense(4, 2, bias=False),
                        Softmax()], backend="numpy", seed=0)
    structure = read_structure(model)
    assert [step.kind for step in structure.steps] == ["dense", "leaky_relu", "dense"]
    assert structure.steps[1].alpha == 0.3 and structure.steps[2].b is None
    assert (structure.head, structure.n_inputs, structure.n_outputs) == ("softmax", 3, 2)
    assert structure.dtype == np.float32 and structure.labels is None
    # Copies: an exporter can never change the model's weights.
    structure.steps[0].W[...] = 0
    assert model.layers[0].W.any()


def test_regressor_head():
    assert read_structure(MLP([2, 3, 1], loss="mse", dtype="float64")).head == "identity"


def test_multilabel_head_folds_a_final_sigmoid_only_into_binary_cross_entropy():
    layers = [Dense(3, 4), ReLU(), Dense(4, 2), Sigmoid()]
    multilabel = read_structure(Sequential(layers, loss="binary_cross_entropy", seed=0))
    assert multilabel.head == "sigmoid"
    assert [step.kind for step in multilabel.steps] == ["dense", "relu", "dense"]
    without = read_structure(Sequential(layers[:-1], loss="bce", seed=0))
    assert (without.head, [step.kind for step in without.steps]) == ("sigmoid", ["dense", "relu",
                                                                                "dense"])
    # A regressor's final Sigmoid is part of what it predicts: it stays a step.
    regressor = read_structure(Sequential(layers, loss="mse", seed=0))
    assert regressor.head == "identity" and regressor.steps[-1].kind == "sigmoid"


class Gives:
    def __init__(self, thing):
        self.thing = thing

    def __fastmlp_model__(self):
        return self.thing


def test_protocol():
    model = MLP([2, 3, 2])
    assert as_model(model) is model and as_model(Gives(model)) is model
    with pytest.raises(TypeError, match=r"Gives.__fastmlp_model__\(\) returned str"):
        as_model(Gives("model"))
    with pytest.raises(TypeError, match="expected a fastmlp model.*got int"):
        as_model(3)


def test_an_object_without_classes_keeps_class_indices():
    assert read_structure(Gives(MLP([2, 3, 2]))).labels is None


@pytest.mark.parametrize("loss", ["cross_entropy", "mse", "binary_cross_entropy"])
def test_every_loss_exports(loss):
    assert read_structure(MLP([2, 3, 2], loss=loss, seed=0)).n_outputs == 2


def test_unknown_loss_is_refused(monkeypatch):
    model = MLP([2, 3, 2])
    monkeypatch.setattr(model, "loss", "hinge")
    with pytest.raises(ValueError, match="cannot export a model with loss='hinge'"):
        read_structure(model)


def test_relu_subclass_is_not_taken_for_relu():
    class Clipped(ReLU):
        pass

    model = Sequential([Dense(2, 3), Clipped(), Dense(3, 2)], backend="numpy")
    with pytest.raises(ValueError, match="cannot export layer 1"):
        read_structure(model)
