"""What every rnnzoo cell and recurrent layer shares.

`RecurrentCell` holds the arguments common to all cells (sizes, the
initializers, regularizers and constraints of `kernel`, `recurrent_kernel`
and `bias`, dropout) and draws the dropout masks. `RecurrentLayer` turns a
cell class into a `keras.layers.RNN` layer with argument checks and one
dropout mask per sequence.
"""

import keras
from keras import ops

from rnnzoo.checks import check_min_int
from rnnzoo.checks import check_positive_int
from rnnzoo.checks import check_rate

_GETTERS = {
    "activation": keras.activations.get,
    "initializer": keras.initializers.get,
    "regularizer": keras.regularizers.get,
    "constraint": keras.constraints.get,
}
_SERIALIZERS = {
    "activation": keras.activations.serialize,
    "initializer": keras.initializers.serialize,
    "regularizer": keras.regularizers.serialize,
    "constraint": keras.constraints.serialize,
}


def get_identifier(kind, identifier, name):
    """Resolves an activation, initializer, regularizer or constraint.

    Raises a `ValueError` that names the argument when Keras does not know
    the identifier.
    """
    try:
        return _GETTERS[kind](identifier)
    except (ValueError, TypeError):
        raise ValueError(
            f"Argument `{name}` must be a Keras {kind} or the name of one. "
            f"Received: {name}={identifier!r}"
        ) from None


def check_chrono_steps(value):
    """`chrono_max_steps`: `None`, or an integer of at least 2."""
    return None if value is None else check_min_int(value, 2, "chrono_max_steps")


def chrono_bias(units, max_steps, dtype=None, seed=None):
    """Chrono initialization of a gate bias (Tallec & Ollivier 2018):
    `log(u)`, `u ~ U(1, max_steps - 1)`, so the gated state keeps a memory
    over time scales spread up to `max_steps` steps."""
    top = max(float(max_steps) - 1.0, 1.0)
    u = keras.initializers.RandomUniform(1.0, top, seed=seed)((units,), dtype=dtype)
    return ops.log(u)


def layer_norm(x, gamma, beta=None, epsilon=1e-5):
    """Normalizes the last axis of `x`, with statistics in float32."""
    dtype = x.dtype
    x = ops.cast(x, "float32")
    mean, variance = ops.moments(x, axes=[-1], keepdims=True)
    x = (x - mean) * ops.rsqrt(variance + epsilon)
    x = x * ops.cast(gamma, "float32")
    if beta is not None:
        x = x + ops.cast(beta, "float32")
    return ops.cast(x, dtype)


class RecurrentCell(keras.layers.Layer):
    """Base class of rnnzoo cells: common arguments, weights and dropout.

    Subclasses set `state_size` and `output_size`, create their weights in
    `build` with `add_role_weight` and implement `call`. Dropout follows
    stock Keras: `dropout` multiplies the step input, `recurrent_dropout`
    the previous output that feeds back, with masks drawn once per sequence
    by the rnnzoo layers (Gal & Ghahramani, 2016). A cell used alone inside
    `keras.layers.RNN` draws a new mask at every step instead.

    Args:
        units: Positive integer, the size of the hidden state.
        use_bias: Whether the cell uses bias vectors.
        kernel_initializer, recurrent_initializer, bias_initializer:
            Initializers of the input kernel, the recurrent kernel and the
            bias.
        kernel_regularizer, recurrent_regularizer, bias_regularizer:
            Regularizers of the same weights.
        kernel_constraint, recurrent_constraint, bias_constraint:
            Constraints of the same weights.
        dropout: Float in [0, 1), fraction of the inputs to drop.
        recurrent_dropout: Float in [0, 1), fraction of the recurrent input
            to drop.
        seed: Random seed for dropout.
        **kwargs: Base layer arguments (`name`, `dtype`, `trainable`).
    """

    def __init__(
        self,
        units,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.units = check_positive_int(units, "units")
        self.use_bias = bool(use_bias)
        self._identifiers = {}
        for role in ("kernel", "recurrent", "bias"):
            self._set_identifier(
                "initializer", f"{role}_initializer", locals()
            )
            self._set_identifier(
                "regularizer", f"{role}_regularizer", locals()
            )
            self._set_identifier("constraint", f"{role}_constraint", locals())
        self.dropout = check_rate(dropout, "dropout")
        self.recurrent_dropout = check_rate(
            recurrent_dropout, "recurrent_dropout"
        )
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self._input_mask = None
        self._recurrent_mask = None

    def _set_identifier(self, kind, name, values):
        setattr(self, name, get_identifier(kind, values[name], name))
        self._identifiers[name] = kind

    def set_activation(self, name, identifier):
        """Resolves and stores an activation argument."""
        self._set_identifier("activation", name, {name: identifier})

    def add_role_weight(self, shape, name, role, initializer=None):
        """Adds a weight with the initializer, regularizer and constraint
        of `role` (`"kernel"`, `"recurrent"` or `"bias"`)."""
        return self.add_weight(
            shape=shape,
            name=name,
            initializer=initializer or getattr(self, f"{role}_initializer"),
            regularizer=getattr(self, f"{role}_regularizer"),
            constraint=getattr(self, f"{role}_constraint"),
        )

    def get_initial_state(self, batch_size=None):
        sizes = self.state_size
        sizes = sizes if isinstance(sizes, (list, tuple)) else [sizes]
        return [ops.zeros((batch_size, d), dtype=self.compute_dtype) for d in sizes]

    # Dropout masks. `stock keras.layers.LSTM/GRU` call `get_dropout_mask`
    # on their cuDNN path, so the name is kept.
    def _draw_mask(self, like, rate):
        return keras.random.dropout(
            ops.ones_like(like), rate=rate, seed=self.seed_generator
        )

    def get_dropout_mask(self, step_input):
        if self._input_mask is None and self.dropout > 0:
            return self._draw_mask(step_input, self.dropout)
        return self._input_mask

    def get_recurrent_dropout_mask(self, feedback):
        if self._recurrent_mask is None and self.recurrent_dropout > 0:
            return self._draw_mask(feedback, self.recurrent_dropout)
        return self._recurrent_mask

    def start_sequence(self, step_input, feedback, training):
        """Draws the masks used at every step of the coming sequence."""
        if training and self.dropout > 0:
            self._input_mask = self._draw_mask(step_input, self.dropout)
        if training and self.recurrent_dropout > 0:
            self._recurrent_mask = self._draw_mask(
                feedback, self.recurrent_dropout
            )

    def end_sequence(self):
        self._input_mask = None
        self._recurrent_mask = None

    def apply_dropout(self, inputs, feedback, training):
        """Returns `inputs` and `feedback` with their dropout masks applied."""
        if training and self.dropout > 0:
            inputs = inputs * self.get_dropout_mask(inputs)
        if training and self.recurrent_dropout > 0:
            feedback = feedback * self.get_recurrent_dropout_mask(feedback)
        return inputs, feedback

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "units": self.units,
                "use_bias": self.use_bias,
                "dropout": self.dropout,
                "recurrent_dropout": self.recurrent_dropout,
                "seed": self.seed,
            }
        )
        for name, kind in self._identifiers.items():
            config[name] = _SERIALIZERS[kind](getattr(self, name))
        return config


_BASE_LAYER_KEYS = ("name", "trainable", "dtype")


class RecurrentLayer:
    """Mixin that makes a `keras.layers.RNN` out of a `RecurrentCell` class.

    Subclasses set `cell_class` and list `keras.layers.RNN` (or one of its
    stock subclasses) after this mixin. The layer takes every argument of
    its cell, flat, plus those of `keras.layers.RNN`, and its config is that
    flat list.
    """

    cell_class = None

    def __init__(
        self,
        units,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        zero_output_for_mask=False,
        **kwargs,
    ):
        layer_keys = ("name", "dtype", "trainable", "activity_regularizer")
        layer_kwargs = {k: kwargs.pop(k) for k in layer_keys if k in kwargs}
        cell = self.cell_class(
            units,
            dtype=layer_kwargs.get("dtype"),
            trainable=layer_kwargs.get("trainable", True),
            name="cell",
            **kwargs,
        )
        # `keras.layers.RNN.__init__` directly: stock LSTM and GRU, which
        # some subclasses extend for their cuDNN path, would build a stock
        # cell of their own.
        keras.layers.RNN.__init__(
            self,
            cell,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            unroll=unroll,
            zero_output_for_mask=zero_output_for_mask,
            **layer_kwargs,
        )

    @property
    def units(self):
        return self.cell.units

    def _check_rank(self, shape):
        if len(shape) != 3:
            raise ValueError(
                f"Layer `{self.name}` expects `inputs` of rank 3 "
                f"(batch, timesteps, features). Received shape {tuple(shape)}"
            )

    def build(self, sequences_shape, initial_state_shape=None):
        self._check_rank(sequences_shape)
        super().build(sequences_shape, initial_state_shape)

    def call(self, sequences, initial_state=None, mask=None, training=False):
        self._check_rank(sequences.shape)
        if initial_state is not None:
            initial_state = self._check_initial_state(initial_state)
        cell = self.cell
        if training and (cell.dropout > 0 or cell.recurrent_dropout > 0):
            feedback = ops.zeros(
                (ops.shape(sequences)[0], self.state_size[0]), dtype=self.compute_dtype
            )
            cell.start_sequence(sequences[:, 0, :], feedback, training)
        try:
            return super().call(
                sequences,
                initial_state=initial_state,
                mask=mask,
                training=training,
            )
        finally:
            self.cell.end_sequence()

    def _check_initial_state(self, initial_state):
        states = (
            list(initial_state)
            if isinstance(initial_state, (list, tuple))
            else [initial_state]
        )
        if len(states) != len(self.state_size):
            raise ValueError(
                f"Layer `{self.name}` expects `initial_state` to be a list "
                f"of {len(self.state_size)} tensor(s) of sizes "
                f"{self.state_size}. Received {len(states)} tensor(s)."
            )
        for i, (state, size) in enumerate(zip(states, self.state_size)):
            shape = tuple(state.shape)
            if len(shape) != 2 or shape[-1] not in (None, size):
                raise ValueError(
                    f"Layer `{self.name}` expects `initial_state[{i}]` of "
                    f"shape (batch_size, {size}). Received shape {shape}."
                )
        return states

    def get_config(self):
        cell_config = self.cell.get_config()
        for key in _BASE_LAYER_KEYS:
            cell_config.pop(key, None)
        config = keras.layers.RNN.get_config(self)
        del config["cell"]
        config["activity_regularizer"] = keras.regularizers.serialize(
            self.activity_regularizer
        )
        return {**config, **cell_config}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _gpu_visible():
    if keras.backend.backend() != "tensorflow":
        return False
    import tensorflow as tf

    return bool(tf.config.list_logical_devices("GPU"))


class CudnnRecurrentLayer(RecurrentLayer):
    """`RecurrentLayer` for cells that stock Keras can run with cuDNN.

    Subclasses list the stock layer (`keras.layers.LSTM` or `GRU`) after
    this mixin: its `inner_loop` tries the backend's fused kernel when
    `use_cudnn` allows. `cudnn_blocker()` names the argument that rules the
    fused kernel out (an rnnzoo extension it does not compute), or `None`.
    """

    def __init__(self, units, use_cudnn="auto", **kwargs):
        super().__init__(units, **kwargs)
        if use_cudnn not in ("auto", True, False):
            raise ValueError(
                "Argument `use_cudnn` must be 'auto', True or False. "
                f"Received: use_cudnn={use_cudnn!r}"
            )
        self._use_cudnn_setting = use_cudnn
        blocker = self.cudnn_blocker()
        if blocker and use_cudnn is True:
            raise ValueError(
                f"Argument `use_cudnn=True` is not possible with "
                f"`{blocker}`: cuDNN does not compute it. Pass "
                "use_cudnn='auto' or False."
            )
        # Stock Keras reads `use_cudnn` to choose its fused kernels.
        self.use_cudnn = False if blocker else use_cudnn
        if self.use_cudnn and _gpu_visible() and self._stock_kernel_config():
            # As stock Keras: cuDNN ops do not compile with XLA, so a model
            # that will run them proceeds without `jit_compile`.
            self.supports_jit = False

    def _stock_kernel_config(self):
        cell = self.cell
        return (
            cell.activation is keras.activations.tanh
            and cell.recurrent_activation is keras.activations.sigmoid
            and cell.use_bias
            and not self.unroll
        )

    def cudnn_blocker(self):
        return None

    def get_config(self):
        config = super().get_config()
        config["use_cudnn"] = self._use_cudnn_setting
        return config
