"""Elman network: the vanilla recurrent cell and layer."""

import keras
from keras import ops

from rnnzoo.layers.recurrent import RecurrentCell
from rnnzoo.layers.recurrent import RecurrentLayer


@keras.saving.register_keras_serializable(package="rnnzoo")
class ElmanCell(RecurrentCell):
    """Cell of the Elman network, the vanilla RNN.

    At each step `a_t = g(x_t W_ax + a_{t-1} W_aa + b_a)`; the output is
    `a_t`. The weights are `kernel (input_dim, units)`,
    `recurrent_kernel (units, units)` and `bias (units,)`, the layout of
    `keras.layers.SimpleRNNCell`, so weights copy between the two.

    Args:
        units: Positive integer, size of the hidden state `a_t`.
        activation: Activation `g`, `"tanh"` (default) or `"relu"` (any
            Keras activation is accepted).
        recurrent_initializer: Initializer of `W_aa`. Default
            `"orthogonal"`; `"identity"` with `activation="relu"` gives the
            IRNN of Le et al. (2015).
        **kwargs: The other arguments of `RecurrentCell`: `use_bias`,
            initializers, regularizers and constraints of `kernel`,
            `recurrent_kernel` and `bias`, `dropout`, `recurrent_dropout`,
            `seed`, and base layer arguments.

    Example:

    >>> rnn = keras.layers.RNN(rnnzoo.layers.ElmanCell(4))
    >>> rnn(np.ones((2, 3, 5))).shape
    (2, 4)

    Reference:
        - [Elman, 1990](https://doi.org/10.1207/s15516709cog1402_1)
        - [Le et al., 2015](https://arxiv.org/abs/1504.00941)
    """

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_initializer="orthogonal",
        **kwargs,
    ):
        super().__init__(
            units, recurrent_initializer=recurrent_initializer, **kwargs
        )
        self.set_activation("activation", activation)
        self.state_size = self.units
        self.output_size = self.units

    def build(self, input_shape):
        self.kernel = self.add_role_weight(
            (input_shape[-1], self.units), "kernel", "kernel"
        )
        self.recurrent_kernel = self.add_role_weight(
            (self.units, self.units), "recurrent_kernel", "recurrent"
        )
        self.bias = (
            self.add_role_weight((self.units,), "bias", "bias")
            if self.use_bias
            else None
        )

    def call(self, inputs, states, training=False):
        nested = isinstance(states, (list, tuple))
        previous = states[0] if nested else states
        inputs, feedback = self.apply_dropout(inputs, previous, training)
        z = ops.matmul(inputs, self.kernel)
        if self.bias is not None:
            z = ops.add(z, self.bias)  # A fused BiasAdd on TensorFlow.
        output = self.activation(z + ops.matmul(feedback, self.recurrent_kernel))
        return output, ([output] if nested else output)


@keras.saving.register_keras_serializable(package="rnnzoo")
class Elman(RecurrentLayer, keras.layers.RNN):
    """Elman network layer, a drop-in for `keras.layers.SimpleRNN`.

    Runs an `ElmanCell` over a sequence. Takes every argument of
    `keras.layers.SimpleRNN` with the same meaning, so code switches by
    changing the import.

    Args:
        units: Positive integer, size of the hidden state.
        return_sequences: Whether to return the output of every step
            (default: only the last one).
        return_state: Whether to also return the last state.
        go_backwards: Whether to read the sequence backwards (the outputs
            come in reverse order).
        stateful: Whether the last state of each sample is the initial
            state of the same sample in the next batch (needs a fixed
            batch size, e.g. `keras.Input(batch_shape=...)`).
        unroll: Whether to unroll the loop over time (short sequences).
        **kwargs: Every argument of `ElmanCell` (`activation`, `use_bias`,
            initializers, regularizers, constraints, `dropout`,
            `recurrent_dropout`, `seed`), `activity_regularizer`, and base
            layer arguments.

    Call arguments:
        inputs: Tensor of shape `(batch, timesteps, features)`.
        mask: Boolean tensor of shape `(batch, timesteps)`; a masked step
            carries the previous state and output forward.
        training: Whether dropout is active.
        initial_state: List with one tensor `(batch, units)`.

    Example:

    >>> layer = rnnzoo.layers.Elman(8, return_sequences=True)
    >>> layer(np.ones((2, 5, 3))).shape
    (2, 5, 8)
    """

    cell_class = ElmanCell
