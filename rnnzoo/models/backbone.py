"""Building blocks the pattern models share: inputs, recurrent stacks,
argument checks and compile defaults."""

import difflib

import keras
from keras import ops

from rnnzoo.layers import GRU
from rnnzoo.layers import LSTM
from rnnzoo.layers import Elman
from rnnzoo.layers import Jordan
from rnnzoo.distribute import replica_token_share
from rnnzoo.layers.recurrent import check_positive_int
from rnnzoo.layers.recurrent import check_rate

CELLS = {"elman": Elman, "jordan": Jordan, "lstm": LSTM, "gru": GRU}


def check_choice(value, choices, name):
    """Returns `value` if it is one of `choices`, else raises, suggesting
    the closest valid names."""
    if value in choices:
        return value
    close = difflib.get_close_matches(str(value), [str(c) for c in choices])
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise ValueError(
        f"Argument `{name}` must be one of {sorted(map(str, choices))}. "
        f"Received: {name}={value!r}.{hint}"
    )


def check_common(cell, units, num_layers, dropout):
    """Checks the arguments every pattern model takes."""
    check_choice(cell, CELLS, "cell")
    check_positive_int(units, "units")
    check_positive_int(num_layers, "num_layers")
    check_rate(dropout, "dropout")


def recurrent_layer(cell, units, name, **kwargs):
    """A recurrent layer of family `cell`. A Jordan layer feeds back an
    output of size `units`."""
    if cell == "jordan":
        kwargs.setdefault("output_units", units)
    return CELLS[cell](units, name=name, **kwargs)


def sequence_input(vocabulary_size, embedding_dim, input_dim, units, name):
    """The sequence input of a model: token ids or real-valued features.

    Returns `(input, embedded)`. Token ids are embedded with
    `mask_zero=True`: id 0 is padding, masked in every later layer.
    """
    if (vocabulary_size is None) == (input_dim is None):
        raise ValueError(
            "Pass exactly one of `vocabulary_size` (token ids) and "
            "`input_dim` (real-valued features). Received: "
            f"vocabulary_size={vocabulary_size}, input_dim={input_dim}"
        )
    if vocabulary_size is not None:
        check_positive_int(vocabulary_size, "vocabulary_size")
        dim = check_positive_int(embedding_dim or units, "embedding_dim")
        inputs = keras.Input((None,), dtype="int32", name=name)
        embedded = keras.layers.Embedding(
            vocabulary_size, dim, mask_zero=True, name=f"{name}_embedding"
        )(inputs)
        return inputs, embedded
    check_positive_int(input_dim, "input_dim")
    inputs = keras.Input((None, input_dim), name=name)
    return inputs, inputs


def recurrent_stack(
    x,
    cell,
    units,
    num_layers,
    dropout=0.0,
    bidirectional=False,
    return_sequences=True,
    name="recurrent",
    initial_states=None,
):
    """Stacks `num_layers` recurrent layers named `{name}_1`, `{name}_2`...

    Every layer but the last returns sequences. `initial_states`, if given,
    lists the initial states of every layer. Returns the output and the
    list of final states of every layer (each a list; for a bidirectional
    layer, forward then backward).
    """
    states = []
    for i in range(1, num_layers + 1):
        last = i == num_layers
        layer = recurrent_layer(
            cell,
            units,
            name=f"{name}_{i}",
            return_sequences=return_sequences or not last,
            return_state=True,
            dropout=dropout,
        )
        if bidirectional:
            layer = keras.layers.Bidirectional(layer, name=f"{name}_{i}_bidirectional")
        initial = None if initial_states is None else initial_states[i - 1]
        x, *layer_states = layer(x, initial_state=initial)
        states.append(layer_states)
    return x, states


def layers_named(model, name, count):
    """The layers `{name}_1` ... `{name}_{count}` of `model`."""
    return [model.get_layer(f"{name}_{i}") for i in range(1, count + 1)]


def embed(model, name, tokens):
    """Looks `tokens` up in the embedding layer `name` of `model`, without
    attaching a padding mask (decoding steps have none)."""
    return ops.take(model.get_layer(name).embeddings, tokens, axis=0)


def initial_states(layers, batch_size):
    """Zero states of every layer, one list per layer."""
    return [list(layer.cell.get_initial_state(batch_size)) for layer in layers]


def step_through(layers, x, states):
    """One step `x (batch, features)` through a stack of recurrent layers'
    cells; returns the top output and the new states of every layer."""
    new_states = []
    for layer, state in zip(layers, states):
        x, state = layer.cell(x, state, training=False)
        new_states.append(list(state) if isinstance(state, (list, tuple)) else [state])
    return x, new_states


def input_named(x, name):
    """The input `name` of a model's inputs `x` (a tensor, list or dict)."""
    if isinstance(x, dict):
        return x[name]
    if isinstance(x, (list, tuple)):
        return x[0]
    return x


def default_optimizer(learning_rate=1e-3, clipnorm=1.0):
    """Adam with gradient-norm clipping, the remedy for exploding gradients."""
    return keras.optimizers.Adam(learning_rate=learning_rate, clipnorm=clipnorm)


class PatternModel(keras.Model):
    """Base class of the pattern models: a functional model whose
    `compile()` with no arguments uses the pattern's defaults, and whose
    config is its constructor arguments."""

    def default_loss(self):
        """Cross-entropy from logits (over non-padding steps for sequence
        outputs), or mean squared error for real-valued outputs."""
        if self._constructor_config.get("output_dim") is not None:
            return keras.losses.MeanSquaredError()
        return keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def default_metrics(self):
        """Accuracy (over non-padding steps), or mean absolute error."""
        if self._constructor_config.get("output_dim") is not None:
            return [keras.metrics.MeanAbsoluteError(name="mae")]
        return [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]

    def sequence_mask(self, x):
        """Boolean `(batch, steps)` of the target steps the loss counts, or
        `None` for models with one output per sequence."""
        return None

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The compiled loss; under `tf.distribute`, a sequence loss is the
        mean over the real tokens of the whole global batch, not the mean of
        each replica's means (replicas hold different numbers of tokens)."""
        loss = super().compute_loss(
            x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=training
        )
        mask = self.sequence_mask(x)
        share = None if mask is None else replica_token_share(mask)
        if share is not None:
            fraction, replicas = share
            loss = loss * ops.cast(fraction * replicas, loss.dtype)
        return loss

    def compile(self, optimizer=None, loss=None, metrics=None, **kwargs):
        """Like `keras.Model.compile`; what is not given takes the pattern's
        default: Adam with `clipnorm=1.0`, its loss, its metrics."""
        super().compile(
            optimizer=optimizer or default_optimizer(),
            loss=loss or self.default_loss(),
            metrics=self.default_metrics() if metrics is None else metrics,
            **kwargs,
        )

    def compile_from_config(self, config):
        config = keras.saving.deserialize_keras_object(config)
        self.compile(**config)
        if self.built:
            self.optimizer.build(self.trainable_variables)

    def get_config(self):
        return dict(self._constructor_config)

    @classmethod
    def from_config(cls, config):
        return cls(**config)
