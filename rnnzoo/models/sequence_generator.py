"""Vector to sequence (one-to-many), conditional or not."""

import keras
import numpy as np
from keras import ops

from rnnzoo.checks import check_positive_int
from rnnzoo.models import decoding
from rnnzoo.models.backbone import PatternModel
from rnnzoo.models.backbone import check_common
from rnnzoo.models.backbone import check_task
from rnnzoo.models.backbone import input_named
from rnnzoo.models.backbone import embed
from rnnzoo.models.backbone import initial_states
from rnnzoo.models.backbone import layers_named
from rnnzoo.models.backbone import recurrent_stack
from rnnzoo.models.backbone import step_through


@keras.saving.register_keras_serializable(package="rnnzoo")
class ConditionFeed(keras.layers.Layer):
    """Appends a condition vector `(batch, dim)` to every step of a
    sequence `(batch, steps, features)`, keeping the sequence's mask."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, sequence, condition):
        steps = ops.shape(sequence)[1]
        condition = ops.cast(condition, sequence.dtype)
        repeated = ops.repeat(ops.expand_dims(condition, 1), steps, axis=1)
        return ops.concatenate([sequence, repeated], axis=-1)

    def compute_mask(self, sequence, previous_mask=None):
        return previous_mask

    def compute_output_shape(self, sequence_shape, condition_shape):
        return tuple(sequence_shape[:-1]) + (sequence_shape[-1] + condition_shape[-1],)


@keras.saving.register_keras_serializable(package="rnnzoo")
class SequenceGenerator(PatternModel):
    """Writes a sequence from a single vector (Goodfellow fig. 10.9).

    A condition, a class id (`num_conditions`; input `"condition"` of
    shape `(batch,)`) or a vector (`condition_dim`; `(batch, dim)`), is
    embedded into a vector `c`; `c` sets the initial state of every
    recurrent layer (through a `tanh` layer per state) and is also fed at
    every step beside the previous token. Trained with teacher forcing on
    `"target_ids"` (the sequence after `start_id`) to predict the sequence
    followed by `end_id`. Without a condition it is a language model that
    `generate` seeds with a prompt.

    `compile()` with no arguments: Adam with `clipnorm=1.0`, sparse
    categorical cross-entropy from logits over non-padding steps, accuracy.

    Args:
        cell: `"elman"`, `"jordan"`, `"lstm"` or `"gru"`.
        units: Positive integer, size of each recurrent layer and of `c`.
        vocabulary_size: Size of the token vocabulary (0 is padding).
        num_conditions: Number of condition classes, or
        condition_dim: size of condition vectors, or neither.
        num_layers: Positive integer, number of stacked recurrent layers.
        dropout: Float in [0, 1), recurrent input dropout and dropout before
            the output.
        embedding_dim: Size of the token embeddings (default `units`).
        start_id: Id that starts every sequence (needed by `generate`).
        end_id: Id that ends a sequence; generation stops there.
        task: `"conditional_generation"` (default with a condition) or
            `"language_model"` (default without).
        **kwargs: `name`, `trainable`.

    Serving (`serving_endpoints`): a label (`condition`, one of the run's
    label names; an unknown one is an error) in, the `text` written for it
    and its `tokens` out, sampled as exported; `sample` takes `condition`,
    `temperature`, `top_k`, `seed` and `max_new_tokens` (one value each per
    instance); a `score` endpoint takes `condition` and `text`
    and gives the text's `log_likelihood`, `token_count` and `correct`
    (its end token included).

    Example:

    >>> model = rnnzoo.models.SequenceGenerator(cell="gru", units=16,
    ...     vocabulary_size=30, num_conditions=2, start_id=2, end_id=3)
    >>> model.generate(np.array([0, 1]), max_length=5, seed=1).shape
    (2, 5)
    """

    TASKS = ("conditional_generation", "language_model")

    def __init__(
        self,
        cell="lstm",
        units=128,
        vocabulary_size=None,
        num_conditions=None,
        condition_dim=None,
        num_layers=1,
        dropout=0.0,
        embedding_dim=None,
        start_id=None,
        end_id=None,
        task=None,
        **kwargs,
    ):
        check_common(cell, units, num_layers, dropout)
        conditional = num_conditions is not None or condition_dim is not None
        task = check_task(task, self.TASKS,
                          "conditional_generation" if conditional else "language_model")
        if (task == "conditional_generation") != conditional:
            raise ValueError(
                "Argument `task='conditional_generation'` needs "
                "`num_conditions` or `condition_dim`; `'language_model'` "
                f"neither. Received: task={task!r}"
            )
        if vocabulary_size is None:
            raise ValueError("Argument `vocabulary_size` is required.")
        check_positive_int(vocabulary_size, "vocabulary_size")
        if num_conditions is not None and condition_dim is not None:
            raise ValueError(
                "Pass at most one of `num_conditions` (class ids) and "
                "`condition_dim` (vectors). Received: "
                f"num_conditions={num_conditions}, condition_dim={condition_dim}"
            )
        target = keras.Input((None,), dtype="int32", name="target_ids")
        x = keras.layers.Embedding(
            vocabulary_size, embedding_dim or units, mask_zero=True,
            name="target_ids_embedding",
        )(target)
        inputs = {"target_ids": target}
        states = None
        if num_conditions is not None or condition_dim is not None:
            if num_conditions is not None:
                check_positive_int(num_conditions, "num_conditions")
                condition = keras.Input((), dtype="int32", name="condition")
                c = keras.layers.Embedding(
                    num_conditions, units, name="condition_embedding"
                )(condition)
            else:
                check_positive_int(condition_dim, "condition_dim")
                condition = keras.Input((condition_dim,), name="condition")
                c = keras.layers.Dense(
                    units, activation="tanh", name="condition_embedding"
                )(condition)
            inputs["condition"] = condition
            x = ConditionFeed(name="condition_feed")(x, c)
            states = self._initial_states_from(c, cell, units, num_layers)
        x, _ = recurrent_stack(
            x, cell, units, num_layers, dropout, initial_states=states
        )
        if dropout:
            x = keras.layers.Dropout(dropout, name="output_dropout")(x)
        logits = keras.layers.Dense(vocabulary_size, name="logits", dtype="float32")(x)
        super().__init__(inputs, logits, **kwargs)
        self._constructor_config = {
            "name": self.name,
            "trainable": self.trainable,
            "cell": cell,
            "units": units,
            "vocabulary_size": vocabulary_size,
            "num_conditions": num_conditions,
            "condition_dim": condition_dim,
            "num_layers": num_layers,
            "dropout": dropout,
            "embedding_dim": embedding_dim,
            "start_id": start_id,
            "end_id": end_id,
            "task": task,
        }

    @classmethod
    def data_arguments(cls, task_data):
        d = task_data
        return {
            "vocabulary_size": d.target_vocabulary_size or d.vocabulary_size,
            "num_conditions": d.num_classes,
            "start_id": d.start_id,
            "end_id": d.end_id,
            "task": d.task,
        }

    def serving_endpoints(self, context):
        import tensorflow as tf

        from rnnzoo.models import sampling
        from rnnzoo.models import serving

        config = self._constructor_config
        if not context.has("tokens") or not config["num_conditions"]:
            return serving.raw_endpoints(self)
        names = context.label_names or [str(i) for i in range(config["num_conditions"])]
        condition = tf.TensorSpec((None,), tf.string, name="condition")

        def generate(labels, **settings):
            tokens = self.sample_tokens(
                serving.label_ids(names, labels, "condition"), **settings)
            return {"text": context.text("tokens", tokens, config["end_id"]),
                    "tokens": tokens}

        def score(labels, text):
            inputs, targets = serving.teacher_forcing(
                context.ids("tokens", text), config["start_id"], config["end_id"],
                context.max_input_tokens)
            logits = self({"condition": serving.label_ids(names, labels, "condition"),
                           "target_ids": inputs}, training=False)
            return serving.scores(logits, targets)

        return [*sampling.sampling_endpoints(context, condition, generate),
                ("score", score, [condition, serving.TEXT])]

    @staticmethod
    def _initial_states_from(c, cell, units, num_layers):
        sizes = [units, units] if cell == "lstm" else [units]
        return [
            [
                keras.layers.Dense(size, activation="tanh", name=f"initial_state_{i}_{k}")(c)
                for k, size in enumerate(sizes)
            ]
            for i in range(1, num_layers + 1)
        ]

    def sequence_mask(self, x):
        return ops.not_equal(input_named(x, "target_ids"), 0)

    def _condition_vector(self, condition):
        config = self._constructor_config
        if condition is None:
            if config["num_conditions"] or config["condition_dim"]:
                raise ValueError("This model is conditional: pass `condition`.")
            return None
        dtype = "int32" if config["num_conditions"] else self.compute_dtype
        return self.get_layer("condition_embedding")(
            ops.convert_to_tensor(condition, dtype)
        )

    def decode_step(self, tokens, states, c=None):
        """One step: `(logits, new states, None)` after `tokens`."""
        x = embed(self, "target_ids_embedding", tokens)
        if c is not None:
            x = ops.concatenate([x, ops.cast(c, x.dtype)], axis=-1)
        layers = layers_named(self, "recurrent", self._constructor_config["num_layers"])
        x, states = step_through(layers, x, states)
        return self.get_layer("logits")(x), states, None

    def sample_tokens(self, condition=None, max_length=100, temperature=1.0,
                      top_k=None, seed=0, prompt=None, batch_size=1):
        """Traceable `generate`: returns the new ids as a tensor."""
        config = self._constructor_config
        if config["start_id"] is None:
            raise ValueError("`generate` needs `start_id`: pass it when creating the model.")
        c = self._condition_vector(condition)
        layers = layers_named(self, "recurrent", config["num_layers"])
        if c is not None:
            batch = ops.shape(c)[0]
            states = [
                [self.get_layer(f"initial_state_{i}_{k}")(c) for k in range(len(s))]
                for i, s in enumerate(initial_states(layers, 1), 1)
            ]
        else:
            batch = batch_size if prompt is None else ops.shape(prompt)[0]
            states = initial_states(layers, batch)
        start = ops.full((batch, 1), config["start_id"], "int32")
        if prompt is not None:
            start = ops.concatenate([start, ops.convert_to_tensor(prompt, "int32")], 1)
        step = lambda tokens, s: self.decode_step(tokens, s, c)  # noqa: E731
        states, last = decoding.prime(step, states, start)
        tokens, _, _ = decoding.sample(
            step, states, last, max_length, config["end_id"], temperature,
            top_k, seed,
        )
        return tokens

    def generate(
        self,
        condition=None,
        max_length=100,
        temperature=1.0,
        top_k=None,
        seed=None,
        prompt=None,
        batch_size=1,
    ):
        """Samples sequences, each new token fed back as the next input.

        Args:
            condition: Class ids `(batch,)` or vectors `(batch, dim)`, for a
                conditional model.
            max_length: Positive integer, the most new tokens.
            temperature: Softmax temperature; 0 for greedy decoding.
            top_k: Optional int, sample among the likeliest `top_k` tokens.
            seed: Int seed of the sampling (random when `None`); or one
                seed per row, each row's sample then depending on its own
                seed alone (as a served `sample` draws).
            prompt: Optional int array `(batch, length)` that the sequences
                start with (after `start_id`), right-padded with 0.
            batch_size: Number of sequences of an unconditional model
                without a prompt.

        Returns:
            The new token ids `(batch, max_length)` as NumPy, `end_id` kept
            and 0 after it.
        """
        if seed is None:
            seed = int(np.random.randint(0, 2**31 - 1))
        if condition is not None:
            condition = ops.convert_to_tensor(condition)
        if prompt is not None:
            prompt = ops.convert_to_tensor(prompt, "int32")
        return ops.convert_to_numpy(
            decoding.traced(self, "sample_tokens")(
                condition, max_length, temperature, top_k,
                ops.convert_to_tensor(seed, "int32"), prompt, batch_size,
            )
        )
