"""Output at every step, hidden-to-hidden recurrence (many-to-many, synced)."""

import keras
from keras import ops

from rnnzoo.checks import check_positive_int
from rnnzoo.models import decoding
from rnnzoo.models.backbone import PatternModel
from rnnzoo.models.backbone import check_chrono
from rnnzoo.models.backbone import check_common
from rnnzoo.models.backbone import check_task
from rnnzoo.models.backbone import input_named
from rnnzoo.models.backbone import embed
from rnnzoo.models.backbone import initial_states
from rnnzoo.models.backbone import layers_named
from rnnzoo.models.backbone import recurrent_stack
from rnnzoo.models.backbone import sequence_input
from rnnzoo.models.backbone import sequence_input_arguments
from rnnzoo.models.backbone import step_through


@keras.saving.register_keras_serializable(package="rnnzoo")
class SequenceTagger(PatternModel):
    """An output at every step from a recurrent stack (Goodfellow fig. 10.3).

    Reads token ids (`vocabulary_size`; input `"token_ids"`, id 0 is padding
    and masked) or real-valued features (`input_dim`; input `"features"`)
    and returns `num_tags` logits per step. For tagging (named entities,
    parts of speech) and, with `num_tags=vocabulary_size` and the targets
    shifted by one, for character or word language models, which
    `generate` samples from.

    `compile()` with no arguments: Adam with `clipnorm=1.0`, sparse
    categorical cross-entropy from logits averaged over the non-padding
    steps, and accuracy over the non-padding steps.

    Args:
        cell: `"elman"`, `"jordan"`, `"lstm"` or `"gru"`.
        units: Positive integer, size of each recurrent layer.
        num_tags: Positive integer, number of outputs per step.
        num_layers: Positive integer, number of stacked recurrent layers.
        dropout: Float in [0, 1): input dropout of each recurrent layer
            (one mask per sequence) and dropout before the output.
        bidirectional: Whether every recurrent layer reads both ways.
        vocabulary_size: Size of the token vocabulary, for token inputs.
        embedding_dim: Size of the token embeddings (default `units`).
        input_dim: Number of features per step, for real-valued inputs.
        chrono_max_steps: Optional int, chrono initialization of the gate
            biases of LSTM and GRU layers for dependencies up to this many
            steps (see `rnnzoo.layers.LSTMCell`).
        task: `"tagging"` (default) or `"language_model"` (unidirectional,
            `num_tags == vocabulary_size`, targets = inputs shifted by one).
        **kwargs: `name`, `trainable`.

    Serving (`serving_endpoints`): tagging: text in, `tags` and `tag_ids`
    out. Language model: text in, the `text` that follows (and its `tokens`) out,
    sampled as exported; `sample`: the same with `temperature`, `top_k`,
    `seed` and `max_new_tokens` inputs (one value each per instance); and a
    `score` endpoint: text in, `log_likelihood`, `token_count` and
    `correct` out.

    Example:

    >>> model = rnnzoo.models.SequenceTagger(
    ...     cell="lstm", units=32, num_tags=5, vocabulary_size=100)
    >>> model.compile()
    >>> model.predict(np.array([[4, 8, 15, 0]]), verbose=0).shape
    (1, 4, 5)

    Reference:
        - [Goodfellow et al., Deep Learning, 10.2](
          https://www.deeplearningbook.org/contents/rnn.html)
    """

    TASKS = ("tagging", "language_model")

    def __init__(
        self,
        cell="lstm",
        units=128,
        num_tags=None,
        num_layers=1,
        dropout=0.0,
        bidirectional=False,
        vocabulary_size=None,
        embedding_dim=None,
        input_dim=None,
        chrono_max_steps=None,
        task=None,
        **kwargs,
    ):
        check_common(cell, units, num_layers, dropout)
        if num_tags is None:
            raise ValueError("Argument `num_tags` is required (outputs per step).")
        check_positive_int(num_tags, "num_tags")
        task = check_task(task, self.TASKS, "tagging")
        if task == "language_model" and (bidirectional or num_tags != vocabulary_size):
            raise ValueError(
                "Argument `task='language_model'` needs a unidirectional "
                "model with `num_tags == vocabulary_size`. Received: "
                f"bidirectional={bidirectional}, num_tags={num_tags}, "
                f"vocabulary_size={vocabulary_size}"
            )
        input_name = "token_ids" if vocabulary_size is not None else "features"
        inputs, x = sequence_input(
            vocabulary_size, embedding_dim, input_dim, units, input_name
        )
        x, _ = recurrent_stack(
            x, cell, units, num_layers, dropout, bool(bidirectional), True,
            chrono_max_steps=check_chrono(chrono_max_steps, cell),
        )
        if dropout:
            x = keras.layers.Dropout(dropout, name="output_dropout")(x)
        logits = keras.layers.Dense(num_tags, name="logits", dtype="float32")(x)
        super().__init__(inputs, logits, **kwargs)
        self._constructor_config = {
            "name": self.name,
            "trainable": self.trainable,
            "cell": cell,
            "units": units,
            "num_tags": num_tags,
            "num_layers": num_layers,
            "dropout": dropout,
            "bidirectional": bool(bidirectional),
            "vocabulary_size": vocabulary_size,
            "embedding_dim": embedding_dim,
            "input_dim": input_dim,
            "chrono_max_steps": chrono_max_steps,
            "task": task,
        }

    @classmethod
    def data_arguments(cls, task_data):
        d = task_data
        num_tags = d.vocabulary_size if d.task == "language_model" else d.num_tags
        return {"task": d.task, **sequence_input_arguments(d), "num_tags": num_tags}

    def serving_endpoints(self, context):
        import tensorflow as tf

        from rnnzoo.models import serving

        if not context.has("tokens"):
            return serving.raw_endpoints(self)
        if self.task == "language_model":
            return language_model_endpoints(self, context)

        def serve(text):
            ids = context.ids("tokens", text, argument="text")
            tag_ids = tf.argmax(self(ids, training=False), axis=-1, output_type=tf.int32)
            real = ids[:, :-1] > 0
            tag_ids = tf.where(real, tag_ids[:, :-1], 0)
            result = {"tag_ids": tag_ids}
            if context.label_names:
                tags = tf.gather(tf.constant(context.label_names), tag_ids)
                result["tags"] = tf.where(real, tags, "")
            return result

        return [("serving_default", serve, [serving.TEXT])]

    def sequence_mask(self, x):
        if self._constructor_config["vocabulary_size"] is None:
            return None
        return ops.not_equal(input_named(x, "token_ids"), 0)

    def _recurrent_layers(self):
        return layers_named(self, "recurrent", self._constructor_config["num_layers"])

    def decode_step(self, tokens, states):
        """One language-model step: `(logits, states, None)` after `tokens`."""
        x = embed(self, "token_ids_embedding", tokens)
        x, states = step_through(self._recurrent_layers(), x, states)
        return self.get_layer("logits")(x), states, None

    def sample_tokens(self, prompt, max_length=100, temperature=1.0, top_k=None,
                      seed=0, end_id=None):
        """Traceable `generate`: returns the new ids as a tensor."""
        if self.task != "language_model":
            raise ValueError(
                "`generate` needs a language model (task='language_model'); "
                f"this model's task is {self.task!r}."
            )
        prompt = ops.convert_to_tensor(prompt, "int32")
        states = initial_states(self._recurrent_layers(), ops.shape(prompt)[0])
        states, last = decoding.prime(self.decode_step, states, prompt)
        tokens, _, _ = decoding.sample(
            self.decode_step, states, last, max_length, end_id, temperature,
            top_k, seed,
        )
        return tokens

    def generate(self, prompt, max_length=100, temperature=1.0, top_k=None,
                 seed=0, end_id=None):
        """Samples a continuation of each prompt, feeding samples back.

        For a language model (`task="language_model"`). `prompt` is an int array `(batch, length)`,
        right-padded with 0. Returns the `(batch, max_length)` new token ids
        as NumPy (greedy with `temperature=0`). `seed` may be one per row:
        each row's sample then depends on its own seed alone, as a served
        `sample` draws.
        """
        prompt = ops.convert_to_tensor(prompt, "int32")
        seed = ops.convert_to_tensor(seed, "int32")
        return ops.convert_to_numpy(
            decoding.traced(self, "sample_tokens")(
                prompt, max_length, temperature, top_k, seed, end_id
            )
        )


def language_model_endpoints(model, context):
    """A language model's endpoints: `serving_default` continues a prompt
    (`text`, `tokens`) as exported, `sample` as asked (`temperature`,
    `top_k`, `seed`, `max_new_tokens`; `rnnzoo.models.sampling`);
    `score` gives the log-likelihood of a text.
    `model.sample_tokens(prompt_ids, ...)` samples; `model(ids)` scores."""
    from rnnzoo.models import sampling
    from rnnzoo.models import serving

    def generate(text, **settings):
        prompt = context.ids("tokens", text, argument="text")
        tokens = model.sample_tokens(prompt, **settings)
        return {"text": context.text("tokens", tokens), "tokens": tokens}

    def score(text):
        return serving.next_token_scores(
            lambda ids: model(ids, training=False), context.ids("tokens", text, argument="text"))

    return [*sampling.sampling_endpoints(context, serving.TEXT, generate),
            ("score", score, [serving.TEXT])]
