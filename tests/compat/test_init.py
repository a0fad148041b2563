"""fastmlp.compat: every adapter exposes the core model it works with."""

from fastmlp import Sequential
from fastmlp.compat import CustomLayerNet, Dense, Layer, Model, Network, NeuralNetwork, Softmax


def test_every_adapter_exposes_its_core_model():
    net = CustomLayerNet(2, 3, 2, net_layer=3, print_output=False)
    model = Model(2, 2)
    model.add_layer(2, 2, 0, activation=Layer.softmax)
    network = Network([Dense(2, 2), Softmax()])
    neural = NeuralNetwork([2, 3, 2])
    for adapter in (net, model, network, neural):
        assert isinstance(adapter.model, Sequential)
