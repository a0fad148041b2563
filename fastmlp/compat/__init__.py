"""The APIs of the four projects fastmlp replaces, as thin adapters over the core.

Each adapter keeps its project's names and argument conventions and does its work with
:class:`fastmlp.Sequential` (``fit``, ``predict``, ``gradients``); each exposes that core
model as ``.model``, so code can move on to the core API one call at a time. See
``docs/migrating.md`` for every call's core equivalent and what differs.

- :mod:`~fastmlp.compat.customlayernet`: ``CustomLayerNet`` (any depth, analytic or
  numerical backprop, full-batch gradient descent).
- :mod:`~fastmlp.compat.modelbuilder`: ``Model``, ``Layer``, ``NetworkTraining`` (layers
  added one by one, samples in columns).
- :mod:`~fastmlp.compat.layerlist`: ``Network`` of ``Dense``, ``Relu``, ``Softmax`` (weights
  ``(out, in)``, samples in columns).
- :mod:`~fastmlp.compat.jsonnetwork`: ``NeuralNetwork`` (mini-batch SGD, JSON save/load).

The names ``Dense``, ``Softmax`` and ``Sigmoid`` here are the layer-list project's layers,
not :class:`fastmlp.Dense` and friends.
"""

from .customlayernet import CustomLayerNet
from .jsonnetwork import NeuralNetwork
from .layerlist import Dense, Network, Relu, Sigmoid, Softmax, Tanh
from .modelbuilder import Layer, Model, NetworkTraining, Training

__all__ = [
    "CustomLayerNet", "Dense", "Layer", "Model", "Network", "NetworkTraining", "NeuralNetwork",
    "Relu", "Sigmoid", "Softmax", "Tanh", "Training",
]
