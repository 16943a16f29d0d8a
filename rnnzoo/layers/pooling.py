"""Pooling a sequence of outputs into one vector, respecting the mask."""

import keras
from keras import ops

from rnnzoo.checks import check_choice
from rnnzoo.layers.attention import masked_softmax

MODES = ("mean", "max", "attention")


@keras.saving.register_keras_serializable(package="rnnzoo")
class SequencePooling(keras.layers.Layer):
    """Pools `(batch, steps, features)` to `(batch, features)` over the
    unmasked steps.

    Modes: `"mean"`, `"max"`, or `"attention"`, a learned weighted mean
    with weights `softmax_t(v . tanh(h_t W + b))` (feed-forward attention,
    Raffel & Ellis 2015).

    Args:
        mode: `"mean"`, `"max"` or `"attention"`.
        units: Size of the attention's hidden layer (default: features).
        **kwargs: Base layer arguments.
    """

    def __init__(self, mode="mean", units=None, **kwargs):
        super().__init__(**kwargs)
        self.mode = check_choice(mode, MODES, "mode")
        self.units = units
        self.supports_masking = True

    def build(self, input_shape):
        if self.mode == "attention":
            units = self.units or input_shape[-1]
            self.score_dense = keras.layers.Dense(
                units, activation="tanh", name="score_hidden"
            )
            self.score_dense.build(input_shape)
            self.score_vector = self.add_weight(
                shape=(units,), name="score_vector"
            )

    def call(self, inputs, mask=None):
        if mask is None:
            mask = ops.ones(ops.shape(inputs)[:2], "bool")
        mask = ops.cast(mask, "bool")
        if self.mode == "max":
            lowest = ops.full_like(inputs, -1e9)
            return ops.max(ops.where(mask[..., None], inputs, lowest), axis=1)
        if self.mode == "mean":
            weights = ops.cast(mask, inputs.dtype)
            weights = weights / ops.maximum(ops.sum(weights, 1, keepdims=True), 1)
        else:
            scores = ops.matmul(self.score_dense(inputs), self.score_vector)
            weights = ops.cast(masked_softmax(scores, mask), inputs.dtype)
        return ops.einsum("bt,btd->bd", weights, inputs)

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "mode": self.mode, "units": self.units}
