"""``Model`` / ``Layer`` / ``NetworkTraining``: a network built layer by layer with ``add_layer``.

The seed's API on top of a :class:`fastmlp.Sequential`. As in the seed, data has one sample
per *column* (``process_raw_single_input`` takes an ``(n_in, 1)`` column vector);
``layout="rows"`` switches to the core's one sample per row. The seed's planned features
(Adam, RMSprop, batch size, learning-rate schedules, Xavier/He, dropout, L2, more
activations) are keyword arguments that map onto the core. Convolution and pooling are not.
"""

from .layers import LEAKY_SLOPE, Layer, LayerSpec
from .model import DEFAULT_LEARNING_RATES, Model, NetworkState, NetworkTraining, Training

__all__ = [
    "DEFAULT_LEARNING_RATES", "LEAKY_SLOPE", "Layer", "LayerSpec", "Model", "NetworkState",
    "NetworkTraining", "Training",
]
