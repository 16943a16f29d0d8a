"""Jordan network: output-to-hidden recurrence."""

import keras
from keras import ops

from rnnzoo.checks import check_positive_int
from rnnzoo.layers.recurrent import RecurrentCell
from rnnzoo.layers.recurrent import RecurrentLayer


@keras.saving.register_keras_serializable(package="rnnzoo")
class JordanCell(RecurrentCell):
    """Cell of the Jordan network: the output, not the hidden state, recurs.

    At each step

        h_t = g(x_t W_x + y_{t-1} W_y + b_h)
        y_t = g_out(h_t W_o + b_o)

    with `y_0 = 0`. The state carried to the next step is the output `y_t`
    (Goodfellow et al., fig. 10.4). Because `h_t` depends on the past only
    through `y_{t-1}`, feeding the true previous targets instead (teacher
    forcing) makes the steps independent; `rnnzoo.models.OutputFeedbackRNN`
    trains that way.

    Weights, in this order: `kernel (input_dim, units)`,
    `recurrent_kernel (output_units, units)`, `bias (units,)`,
    `output_kernel (units, output_units)`, `output_bias (output_units,)`.
    `output_kernel` and `output_bias` use the kernel and bias initializers,
    regularizers and constraints.

    Args:
        units: Positive integer, size of the hidden layer `h_t`.
        output_units: Positive integer, size of the output `y_t`.
        activation: Hidden activation `g`. Default `"tanh"`.
        output_activation: Output activation `g_out`. Default linear.
        **kwargs: The other arguments of `RecurrentCell` (`use_bias`,
            initializers, regularizers, constraints, `dropout`,
            `recurrent_dropout` on `y_{t-1}`, `seed`) and base layer
            arguments.

    Example:

    >>> rnn = keras.layers.RNN(rnnzoo.layers.JordanCell(8, output_units=2))
    >>> rnn(np.ones((4, 3, 5))).shape
    (4, 2)

    Reference:
        - [Jordan, 1986](https://doi.org/10.1016/S0166-4115(97)80111-2)
    """

    def __init__(
        self,
        units,
        output_units=None,
        activation="tanh",
        output_activation=None,
        **kwargs,
    ):
        super().__init__(units, **kwargs)
        if output_units is None:
            raise ValueError(
                "Argument `output_units` is required: the size of the "
                "output y_t that feeds back. Received: output_units=None"
            )
        self.output_units = check_positive_int(output_units, "output_units")
        self.set_activation("activation", activation)
        self.set_activation("output_activation", output_activation)
        self.state_size = self.output_units
        self.output_size = self.output_units

    def build(self, input_shape):
        self.kernel = self.add_role_weight(
            (input_shape[-1], self.units), "kernel", "kernel"
        )
        self.recurrent_kernel = self.add_role_weight(
            (self.output_units, self.units), "recurrent_kernel", "recurrent"
        )
        self.bias = self._bias("bias", self.units)
        self.output_kernel = self.add_role_weight(
            (self.units, self.output_units), "output_kernel", "kernel"
        )
        self.output_bias = self._bias("output_bias", self.output_units)

    def _bias(self, name, size):
        if not self.use_bias:
            return None
        return self.add_role_weight((size,), name, "bias")

    def hidden(self, inputs, feedback):
        """`h_t` from inputs `x_t` and fed-back outputs `y_{t-1}`.

        Works on one step `(batch, features)` or on whole sequences
        `(batch, timesteps, features)` at once.
        """
        z = ops.matmul(inputs, self.kernel)
        z = z + ops.matmul(feedback, self.recurrent_kernel)
        if self.bias is not None:
            z = ops.add(z, self.bias)
        return self.activation(z)

    def readout(self, hidden):
        """`y_t` from `h_t`, for one step or whole sequences."""
        y = ops.matmul(hidden, self.output_kernel)
        if self.output_bias is not None:
            y = ops.add(y, self.output_bias)
        return self.output_activation(y)

    def call(self, inputs, states, training=False):
        nested = isinstance(states, (list, tuple))
        previous = states[0] if nested else states
        inputs, feedback = self.apply_dropout(inputs, previous, training)
        output = self.readout(self.hidden(inputs, feedback))
        return output, ([output] if nested else output)

    def get_config(self):
        config = super().get_config()
        config["output_units"] = self.output_units
        return config


@keras.saving.register_keras_serializable(package="rnnzoo")
class Jordan(RecurrentLayer, keras.layers.RNN):
    """Jordan network layer: output-to-hidden recurrence over a sequence.

    Runs a `JordanCell` over a sequence and returns its outputs `y_t` (the
    last one, or every one with `return_sequences=True`).

    Args:
        units: Positive integer, size of the hidden layer.
        output_units: Positive integer, size of the output that feeds back.
        return_sequences: Whether to return the output of every step.
        return_state: Whether to also return the last state (`y_T`).
        go_backwards: Whether to read the sequence backwards.
        stateful: Whether the last state of each sample is the initial
            state of the same sample in the next batch.
        unroll: Whether to unroll the loop over time.
        **kwargs: Every other argument of `JordanCell` (`activation`,
            `output_activation`, `use_bias`, initializers, regularizers,
            constraints, `dropout`, `recurrent_dropout`, `seed`),
            `activity_regularizer`, and base layer arguments.

    Example:

    >>> layer = rnnzoo.layers.Jordan(16, output_units=3, return_sequences=True)
    >>> layer(np.ones((2, 5, 4))).shape
    (2, 5, 3)
    """

    cell_class = JordanCell

    def __init__(self, units, output_units=None, **kwargs):
        super().__init__(units, output_units=output_units, **kwargs)
