"""Long short-term memory: cell and layer, with projection and layer norm."""

import keras
from keras import ops

from rnnzoo.checks import check_positive_int
from rnnzoo.layers.recurrent import RecurrentCell
from rnnzoo.layers.recurrent import CudnnRecurrentLayer
from rnnzoo.layers.recurrent import check_chrono_steps
from rnnzoo.layers.recurrent import chrono_bias
from rnnzoo.layers.recurrent import layer_norm


@keras.saving.register_keras_serializable(package="rnnzoo")
class LSTMCell(RecurrentCell):
    """Cell of the long short-term memory network.

    With `z = x_t W + h_{t-1} U + b` split into the gates `i, f, g, o` (the
    order of `keras.layers.LSTMCell`):

        c_t = sigmoid(f) * c_{t-1} + sigmoid(i) * tanh(g)
        h_t = sigmoid(o) * tanh(c_t)

    (`tanh` and `sigmoid` stand for `activation` and
    `recurrent_activation`.) The weights `kernel (input_dim, 4 * units)`,
    `recurrent_kernel (units, 4 * units)` and `bias (4 * units,)` have the
    shapes and gate order of `keras.layers.LSTMCell`, so weights copy
    between the two. Beyond stock Keras:

    - `projection_units=P` (LSTMP, Sak et al. 2014; PyTorch's `proj_size`):
      `h_t = (sigmoid(o) * tanh(c_t)) W_p` with a `projection_kernel
      (units, P)`; `h_t` has size `P` and `recurrent_kernel` is
      `(P, 4 * units)`.
    - `layer_norm=True` (Ba et al. 2016): `z = LN(x_t W) + LN(h_{t-1} U) + b`
      and `h_t = sigmoid(o) * tanh(LN(c_t))`, with gains
      `input_norm_gamma`, `recurrent_norm_gamma` and `cell_norm_gamma`/
      `cell_norm_beta`; statistics are computed in float32.

    The state is `[h_t, c_t]`; the output is `h_t`.

    Args:
        units: Positive integer, size of the cell state `c_t`.
        activation: Activation of the candidate and the output. Default
            `"tanh"`.
        recurrent_activation: Activation of the gates. Default `"sigmoid"`.
        unit_forget_bias: Whether to add 1 to the forget-gate bias at
            initialization (Jozefowicz et al. 2015). Default `True`.
        projection_units: Optional positive integer, size of the projected
            output `h_t`.
        layer_norm: Whether to layer-normalize the gate inputs and the cell.
        chrono_max_steps: Optional integer `T_max >= 2`: chrono
            initialization (Tallec & Ollivier 2018) for dependencies up to
            `T_max` steps: forget-gate biases `b_f = log(u)`, `u ~ U(1,
            T_max - 1)`, input-gate biases `b_i = -b_f` (replaces
            `unit_forget_bias`). Default `None`: as stock Keras.
        **kwargs: The other arguments of `RecurrentCell` (`use_bias`,
            initializers, regularizers, constraints, `dropout`,
            `recurrent_dropout`, `seed`) and base layer arguments. The
            projection kernel uses the kernel initializer, regularizer and
            constraint.

    Example:

    >>> cell = rnnzoo.layers.LSTMCell(8, projection_units=4)
    >>> keras.layers.RNN(cell)(np.ones((2, 3, 5))).shape
    (2, 4)

    Reference:
        - [Hochreiter & Schmidhuber, 1997](
          https://doi.org/10.1162/neco.1997.9.8.1735)
        - [Sak et al., 2014](https://arxiv.org/abs/1402.1128)
        - [Ba et al., 2016](https://arxiv.org/abs/1607.06450)
        - [Tallec & Ollivier, 2018](https://arxiv.org/abs/1804.11188)
    """

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        unit_forget_bias=True,
        projection_units=None,
        layer_norm=False,
        chrono_max_steps=None,
        **kwargs,
    ):
        kwargs.pop("implementation", None)  # Stock Keras argument, no effect.
        super().__init__(units, **kwargs)
        self.set_activation("activation", activation)
        self.set_activation("recurrent_activation", recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.projection_units = (
            None
            if projection_units is None
            else check_positive_int(projection_units, "projection_units")
        )
        self.layer_norm = bool(layer_norm)
        self.chrono_max_steps = check_chrono_steps(chrono_max_steps)
        output_size = self.projection_units or self.units
        self.state_size = [output_size, self.units]
        self.output_size = output_size

    def build(self, input_shape):
        units, output_size = self.units, self.output_size
        self.kernel = self.add_role_weight(
            (input_shape[-1], 4 * units), "kernel", "kernel"
        )
        self.recurrent_kernel = self.add_role_weight(
            (output_size, 4 * units), "recurrent_kernel", "recurrent"
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_role_weight(
                (4 * units,), "bias", "bias", self._bias_initializer
            )
        if self.layer_norm:
            self.input_norm_gamma = self._gain("input_norm_gamma", 4 * units)
            self.recurrent_norm_gamma = self._gain(
                "recurrent_norm_gamma", 4 * units
            )
            self.cell_norm_gamma = self._gain("cell_norm_gamma", units)
            self.cell_norm_beta = self.add_weight(
                shape=(units,), name="cell_norm_beta", initializer="zeros"
            )
        if self.projection_units:
            self.projection_kernel = self.add_role_weight(
                (units, self.projection_units), "projection_kernel", "kernel"
            )

    def _gain(self, name, size):
        return self.add_weight(shape=(size,), name=name, initializer="ones")

    def _bias_initializer(self, shape, dtype=None):
        units = self.units
        if self.chrono_max_steps:
            forget = chrono_bias(units, self.chrono_max_steps, dtype, self.seed)
            return ops.concatenate(
                [-forget, forget, self.bias_initializer((2 * units,), dtype=dtype)]
            )
        if not self.unit_forget_bias:
            return self.bias_initializer(shape, dtype=dtype)
        return ops.concatenate(
            [
                self.bias_initializer((units,), dtype=dtype),
                ops.ones((units,), dtype=dtype),
                self.bias_initializer((2 * units,), dtype=dtype),
            ]
        )

    def call(self, inputs, states, training=False):
        h_previous, c_previous = states
        inputs, feedback = self.apply_dropout(inputs, h_previous, training)
        x = ops.matmul(inputs, self.kernel)
        r = ops.matmul(feedback, self.recurrent_kernel)
        if self.layer_norm:
            x = layer_norm(x, self.input_norm_gamma)
            r = layer_norm(r, self.recurrent_norm_gamma)
        z = x + r
        if self.bias is not None:
            z = ops.add(z, self.bias)
        i, f, g, o = ops.split(z, 4, axis=-1)
        gate = self.recurrent_activation
        c = gate(f) * c_previous + gate(i) * self.activation(g)
        c_out = c
        if self.layer_norm:
            c_out = layer_norm(c, self.cell_norm_gamma, self.cell_norm_beta)
        h = gate(o) * self.activation(c_out)
        if self.projection_units:
            h = ops.matmul(h, self.projection_kernel)
        return h, [h, c]

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "unit_forget_bias": self.unit_forget_bias,
                "projection_units": self.projection_units,
                "layer_norm": self.layer_norm,
                "chrono_max_steps": self.chrono_max_steps,
            }
        )
        return config


@keras.saving.register_keras_serializable(package="rnnzoo")
class LSTM(CudnnRecurrentLayer, keras.layers.LSTM):
    """Long short-term memory layer, a drop-in for `keras.layers.LSTM`.

    Runs an `LSTMCell` over a sequence. Takes every argument of
    `keras.layers.LSTM` with the same meaning, plus `projection_units`,
    `layer_norm` and `chrono_max_steps`. With the stock configuration (tanh, sigmoid, a bias, no
    recurrent dropout, no projection or layer norm, not unrolled) and a GPU,
    it runs the fused cuDNN kernel as stock Keras does; elsewhere the
    backend's loop over `LSTMCell`. Unlike stock Keras, `use_cudnn` is kept
    in `get_config`.

    Args:
        units: Positive integer, size of the cell state.
        use_cudnn: `"auto"` (cuDNN when possible), `True` (raise if it is
            not possible) or `False`.
        return_sequences, return_state, go_backwards, stateful, unroll: As
            in `keras.layers.RNN`.
        **kwargs: Every other argument of `LSTMCell` (`activation`,
            `recurrent_activation`, `unit_forget_bias`, `projection_units`,
            `layer_norm`, `use_bias`, initializers, regularizers,
            constraints, `dropout`, `recurrent_dropout`, `seed`),
            `activity_regularizer`, and base layer arguments.

    Call arguments:
        inputs: Tensor of shape `(batch, timesteps, features)`.
        mask: Boolean tensor `(batch, timesteps)`; a masked step carries
            the previous state and output forward.
        training: Whether dropout is active.
        initial_state: List `[h, c]` of tensors `(batch, projection_units
            or units)` and `(batch, units)`.

    Example:

    >>> layer = rnnzoo.layers.LSTM(8, layer_norm=True, return_state=True)
    >>> output, h, c = layer(np.ones((2, 5, 3)))
    >>> output.shape, c.shape
    ((2, 8), (2, 8))
    """

    cell_class = LSTMCell

    def cudnn_blocker(self):
        if self.cell.projection_units:
            return "projection_units"
        if self.cell.layer_norm:
            return "layer_norm"
        return None
