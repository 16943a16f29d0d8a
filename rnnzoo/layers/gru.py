"""Gated recurrent unit: cell and layer, with layer norm."""

import keras
from keras import ops

from rnnzoo.layers.recurrent import CudnnRecurrentLayer
from rnnzoo.layers.recurrent import RecurrentCell
from rnnzoo.layers.recurrent import check_chrono_steps
from rnnzoo.layers.recurrent import chrono_bias
from rnnzoo.layers.recurrent import layer_norm


@keras.saving.register_keras_serializable(package="rnnzoo")
class GRUCell(RecurrentCell):
    """Cell of the gated recurrent unit (Cho et al. 2014).

    With the gates in the order of `keras.layers.GRUCell` (update `z`,
    reset `r`, candidate `h~`), `x = x_t W + b_x` and `u = h_{t-1} U + b_u`:

        z = sigmoid(x_z + u_z)
        r = sigmoid(x_r + u_r)
        h~ = tanh(x_h + r * u_h)                  # reset_after=True
        h~ = tanh(x_h + (r * h_{t-1}) U_h)        # reset_after=False
        h_t = z * h_{t-1} + (1 - z) * h~

    The weights `kernel (input_dim, 3 * units)`, `recurrent_kernel
    (units, 3 * units)` and `bias` (`(2, 3 * units)` with `reset_after`,
    `(3 * units,)` without, which has no `b_u`) are those of
    `keras.layers.GRUCell`, so weights copy between the two.
    `layer_norm=True` (Ba et al. 2016) normalizes `x_t W` and `h_{t-1} U`
    before the biases, with gains `input_norm_gamma` and
    `recurrent_norm_gamma`; it needs `reset_after=True`.

    Args:
        units: Positive integer, size of the state.
        activation: Activation of the candidate. Default `"tanh"`.
        recurrent_activation: Activation of the gates. Default `"sigmoid"`.
        reset_after: Whether the reset gate applies after the recurrent
            matrix product (default, cuDNN-compatible) or before.
        layer_norm: Whether to layer-normalize the gate inputs.
        chrono_max_steps: Optional integer `T_max >= 2`: chrono
            initialization (Tallec & Ollivier 2018) for dependencies up to
            `T_max` steps: the update gate `z` (the share of `h_{t-1}` kept)
            gets input biases `b_z = log(u)`, `u ~ U(1, T_max - 1)`.
            Default `None`: as stock Keras.
        **kwargs: The other arguments of `RecurrentCell` (`use_bias`,
            initializers, regularizers, constraints, `dropout`,
            `recurrent_dropout`, `seed`) and base layer arguments.

    Example:

    >>> keras.layers.RNN(rnnzoo.layers.GRUCell(4))(np.ones((2, 3, 5))).shape
    (2, 4)

    Reference:
        - [Cho et al., 2014](https://arxiv.org/abs/1406.1078)
        - [Ba et al., 2016](https://arxiv.org/abs/1607.06450)
        - [Tallec & Ollivier, 2018](https://arxiv.org/abs/1804.11188)
    """

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        reset_after=True,
        layer_norm=False,
        chrono_max_steps=None,
        **kwargs,
    ):
        kwargs.pop("implementation", None)  # Stock Keras argument, no effect.
        super().__init__(units, **kwargs)
        self.set_activation("activation", activation)
        self.set_activation("recurrent_activation", recurrent_activation)
        self.reset_after = bool(reset_after)
        self.layer_norm = bool(layer_norm)
        self.chrono_max_steps = check_chrono_steps(chrono_max_steps)
        if self.layer_norm and not self.reset_after:
            raise ValueError(
                "Argument `layer_norm=True` needs `reset_after=True`. "
                "Received: reset_after=False"
            )
        self.state_size = self.units
        self.output_size = self.units

    def build(self, input_shape):
        units = self.units
        self.kernel = self.add_role_weight(
            (input_shape[-1], 3 * units), "kernel", "kernel"
        )
        self.recurrent_kernel = self.add_role_weight(
            (units, 3 * units), "recurrent_kernel", "recurrent"
        )
        self.bias = None
        if self.use_bias:
            shape = (2, 3 * units) if self.reset_after else (3 * units,)
            self.bias = self.add_role_weight(shape, "bias", "bias", self._bias_initializer)
        if self.layer_norm:
            self.input_norm_gamma = self._gain("input_norm_gamma")
            self.recurrent_norm_gamma = self._gain("recurrent_norm_gamma")

    def _bias_initializer(self, shape, dtype=None):
        bias = self.bias_initializer(shape, dtype=dtype)
        if not self.chrono_max_steps:
            return bias
        units = self.units
        update = chrono_bias(units, self.chrono_max_steps, dtype, self.seed)
        if self.reset_after:  # Row 0 is the input bias b_x.
            return ops.concatenate(
                [ops.concatenate([update, bias[0, units:]])[None], bias[1:]], axis=0
            )
        return ops.concatenate([update, bias[units:]])

    def _gain(self, name):
        return self.add_weight(
            shape=(3 * self.units,), name=name, initializer="ones"
        )

    def call(self, inputs, states, training=False):
        nested = isinstance(states, (list, tuple))
        h_previous = states[0] if nested else states
        inputs, feedback = self.apply_dropout(inputs, h_previous, training)
        units = self.units
        x = ops.matmul(inputs, self.kernel)
        if self.reset_after:
            u = ops.matmul(feedback, self.recurrent_kernel)
            if self.layer_norm:
                x = layer_norm(x, self.input_norm_gamma)
                u = layer_norm(u, self.recurrent_norm_gamma)
            if self.bias is not None:
                x = ops.add(x, self.bias[0])
                u = ops.add(u, self.bias[1])
        else:
            if self.bias is not None:
                x = ops.add(x, self.bias)
            u = ops.matmul(feedback, self.recurrent_kernel[:, : 2 * units])
        x_z, x_r, x_h = ops.split(x, 3, axis=-1)
        # One split, not three slices: the gradient of a slice is a padded
        # full-size tensor, and three of them cost a quarter of the training
        # step (benchmarks/results/layer_throughput.md).
        u_z, u_r, *u_h = ops.split(u, 3 if self.reset_after else 2, axis=-1)
        gate = self.recurrent_activation
        z = gate(x_z + u_z)
        r = gate(x_r + u_r)
        if self.reset_after:
            recurrent_h = r * u_h[0]
        else:
            recurrent_h = ops.matmul(
                r * feedback, self.recurrent_kernel[:, 2 * units :]
            )
        candidate = self.activation(x_h + recurrent_h)
        h = z * h_previous + (1 - z) * candidate
        return h, ([h] if nested else h)

    def get_config(self):
        config = super().get_config()
        config["reset_after"] = self.reset_after
        config["layer_norm"] = self.layer_norm
        config["chrono_max_steps"] = self.chrono_max_steps
        return config


@keras.saving.register_keras_serializable(package="rnnzoo")
class GRU(CudnnRecurrentLayer, keras.layers.GRU):
    """Gated recurrent unit layer, a drop-in for `keras.layers.GRU`.

    Runs a `GRUCell` over a sequence. Takes every argument of
    `keras.layers.GRU` with the same meaning, plus `layer_norm` and
    `chrono_max_steps`. With the
    stock configuration (tanh, sigmoid, a bias, `reset_after=True`, no
    recurrent dropout, no layer norm, not unrolled) and a GPU, it runs the
    fused cuDNN kernel as stock Keras does; elsewhere the backend's loop
    over `GRUCell`. Unlike stock Keras, `use_cudnn` is kept in
    `get_config`.

    Args:
        units: Positive integer, size of the state.
        use_cudnn: `"auto"` (cuDNN when possible), `True` (raise if it is
            not possible) or `False`.
        return_sequences, return_state, go_backwards, stateful, unroll: As
            in `keras.layers.RNN`.
        **kwargs: Every other argument of `GRUCell` (`activation`,
            `recurrent_activation`, `reset_after`, `layer_norm`,
            `use_bias`, initializers, regularizers, constraints, `dropout`,
            `recurrent_dropout`, `seed`), `activity_regularizer`, and base
            layer arguments.

    Example:

    >>> layer = rnnzoo.layers.GRU(8, return_sequences=True)
    >>> layer(np.ones((2, 5, 3))).shape
    (2, 5, 8)
    """

    cell_class = GRUCell

    def cudnn_blocker(self):
        return "layer_norm" if self.cell.layer_norm else None
