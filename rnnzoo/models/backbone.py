"""Building blocks the pattern models share: inputs, recurrent stacks,
argument checks and compile defaults."""

import keras
from keras import ops

from rnnzoo.checks import check_choice
from rnnzoo.checks import check_positive_int
from rnnzoo.checks import check_rate
from rnnzoo.layers import GRU
from rnnzoo.layers import LSTM
from rnnzoo.layers import Elman
from rnnzoo.layers import Jordan
from rnnzoo.layers.recurrent import check_chrono_steps
from rnnzoo.models.token_metrics import replica_token_share
from rnnzoo.models.token_metrics import TokenAccuracy
from rnnzoo.models.token_metrics import TokenMean
from rnnzoo.models.token_metrics import TokenCrossEntropy

CELLS = {"elman": Elman, "jordan": Jordan, "lstm": LSTM, "gru": GRU}


def check_common(cell, units, num_layers, dropout):
    """Checks the arguments every pattern model takes."""
    check_choice(cell, CELLS, "cell")
    check_positive_int(units, "units")
    check_positive_int(num_layers, "num_layers")
    check_rate(dropout, "dropout")


def check_chrono(chrono_max_steps, cell):
    """`chrono_max_steps` for the layers of `cell`: it needs gates."""
    if chrono_max_steps is None:
        return None
    if cell not in ("lstm", "gru"):
        raise ValueError(
            "Argument `chrono_max_steps` initializes gate biases: it needs "
            f"cell='lstm' or 'gru'. Received: cell={cell!r}"
        )
    return check_chrono_steps(chrono_max_steps)


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


def sequence_input_arguments(task_data):
    """The `sequence_input` arguments a run's data gives: its vocabulary
    size (token ids) or its number of features."""
    if task_data.vocabulary_size:
        return {"vocabulary_size": task_data.vocabulary_size}
    return {"input_dim": task_data.train.element_spec[0]["features"].shape[-1]}


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
    chrono_max_steps=None,
):
    """Stacks `num_layers` recurrent layers named `{name}_1`, `{name}_2`...

    Every layer but the last returns sequences. `initial_states`, if given,
    lists the initial states of every layer; `chrono_max_steps` sets the
    chrono initialization of gated layers. Returns the output and the
    list of final states of every layer (each a list; for a bidirectional
    layer, forward then backward).
    """
    states = []
    extra = {} if chrono_max_steps is None else {"chrono_max_steps": chrono_max_steps}
    for i in range(1, num_layers + 1):
        last = i == num_layers
        layer = recurrent_layer(
            cell,
            units,
            name=f"{name}_{i}",
            return_sequences=return_sequences or not last,
            return_state=True,
            dropout=dropout,
            **extra,
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


def check_task(task, tasks, default):
    """Returns `task` (or `default` when `None`) if this model can do it."""
    return check_choice(default if task is None else task, tasks, "task")


class PatternModel(keras.Model):
    """Base class of the pattern models: a functional model whose
    `compile()` with no arguments uses the pattern's defaults, whose config
    is its constructor arguments, and which carries its task contract.

    The task contract is what the application layer (training, export,
    `rnnzoo generate`) asks a model instead of guessing from its type:

    - `TASKS`: the tasks (`rnnzoo.data.TASKS` names) the pattern trains on;
      `model.task` is the one this model was built for.
    - `data_arguments(task_data)`: the constructor arguments that come from
      a run's data (vocabulary sizes, classes, start and end ids, task).
    - `data_inputs(inputs)`: the model's inputs from the input dict of a
      batch of that data.
    - `serving_endpoints(context)`: the `(name, function, input signature)`
      of each endpoint of its SavedModel, `serving_default` first; raw text
      in, named outputs out, generated ids turned into text without special
      tokens (see `rnnzoo.models.serving`).
    """

    #: The tasks this pattern trains on; the first is the default.
    TASKS = ()

    @property
    def task(self):
        return self._constructor_config["task"]

    @classmethod
    def data_arguments(cls, task_data):
        """Constructor arguments that come from `task_data` (a `TaskData`)."""
        raise NotImplementedError

    def data_inputs(self, inputs):
        """This model's inputs from a batch's input dict."""
        names = [t.name for t in self.inputs]
        if len(names) == 1:
            return inputs[names[0]]
        return {name: inputs[name] for name in names}

    def serving_endpoints(self, context):
        """`[(name, function, input_signature)]`, `serving_default` first."""
        raise NotImplementedError

    def default_loss(self):
        """Cross-entropy from logits (over non-padding steps for sequence
        outputs), or mean squared error for real-valued outputs."""
        if self._constructor_config.get("output_dim") is not None:
            return keras.losses.MeanSquaredError()
        return keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def default_metrics(self):
        """Accuracy, or mean absolute error; sequence outputs have token
        means: `accuracy` and `cross_entropy` over every real token of a
        pass (Keras's `loss` averages the means of its batches)."""
        if self._constructor_config.get("output_dim") is not None:
            return [keras.metrics.MeanAbsoluteError(name="mae")]
        if self.task == "classification":
            return [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]
        return [TokenAccuracy(), TokenCrossEntropy()]

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Keras's, with the sequence mask as the metrics' token weights."""
        mask = self.sequence_mask(x)
        if mask is not None and sample_weight is None:
            sample_weight = ops.cast(mask, "float32")
        return super().compute_metrics(x, y, y_pred, sample_weight)

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
        metrics = self.default_metrics() if metrics is None else list(metrics)
        tokens = [m for m in metrics if isinstance(m, TokenMean)]
        super().compile(
            optimizer=optimizer or default_optimizer(),
            loss=loss or self.default_loss(),
            metrics=[m for m in metrics if m not in tokens],
            weighted_metrics=tokens + list(kwargs.pop("weighted_metrics", None) or []),
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
