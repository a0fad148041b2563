"""fastmlp.compat.modelbuilder.layers: Layer's activation functions, one sample per column."""

import math

import numpy as np

from fastmlp.compat import Layer


def test_layer_functions_compute_their_activations():
    z = np.array([[-1.0, 2.0], [0.5, -3.0]])
    np.testing.assert_array_equal(Layer.reLu(z), np.maximum(z, 0))
    np.testing.assert_allclose(Layer.leaky_reLu(z), np.where(z > 0, z, 0.01 * z))
    np.testing.assert_allclose(Layer.sigmoid(z), 1 / (1 + np.exp(-z)))
    np.testing.assert_allclose(Layer.tanh(z), np.tanh(z))
    np.testing.assert_allclose(Layer.softmax(z).sum(axis=0), [1.0, 1.0])
    np.testing.assert_allclose(Layer.softmax(np.array([[0.0], [math.log(3.0)]])),
                               [[0.25], [0.75]])
