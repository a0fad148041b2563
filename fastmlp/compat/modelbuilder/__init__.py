"""``Model`` / ``Layer`` / ``NetworkTraining``: a network built layer by layer with ``add_layer``.

The seed's API on top of a :class:`fastmlp.Sequential`. As in the seed, data has one sample
per *column* (``process_raw_single_input`` takes an ``(n_in, 1)`` column vector);
``layout="rows"`` switches to the core's one sample per row. The seed's planned features
(Adam, RMSprop, batch size, learning-rate schedules, Xavier/He, dropout, L2, more
activations) are keyword arguments that map onto the core. Convolution and pooling are not.

- :mod:`.model`: ``Model``, the network assembled with ``add_layer``, and ``NetworkState``.
- :mod:`.layers`: ``Layer``'s activation functions and ``LayerSpec``, one layer added.
- :mod:`.training`: ``NetworkTraining`` (alias ``Training``), ``train_model``'s arguments
  mapped onto ``fit``.
"""

from .layers import LEAKY_SLOPE, Layer, LayerSpec
from .model import Model, NetworkState
from .training import DEFAULT_LEARNING_RATES, NetworkTraining, Training

__all__ = [
    "DEFAULT_LEARNING_RATES", "LEAKY_SLOPE", "Layer", "LayerSpec", "Model", "NetworkState",
    "NetworkTraining", "Training",
]
