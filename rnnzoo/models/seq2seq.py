"""Encoder-decoder (many-to-many, unsynced), with optional attention."""

import keras
from keras import ops

from rnnzoo.checks import check_choice
from rnnzoo.checks import check_positive_int
from rnnzoo.layers.attention import AttentionCell
from rnnzoo.layers.attention import AttentionRNN
from rnnzoo.layers.attention import BahdanauAttention
from rnnzoo.layers.attention import LuongAttention
from rnnzoo.models import decoding
from rnnzoo.models.backbone import PatternModel
from rnnzoo.models.backbone import check_common
from rnnzoo.models.backbone import check_task
from rnnzoo.models.backbone import input_named
from rnnzoo.models.backbone import embed
from rnnzoo.models.backbone import recurrent_layer

ATTENTIONS = (None, "bahdanau", "luong")
METHODS = ("greedy", "beam")


def _make_layers(cell, units, num_layers, dropout, bidirectional, attention,
                 source_vocabulary_size, target_vocabulary_size, embedding_dim):
    """Every layer of the model, by name."""
    dim = embedding_dim or units
    made = {
        "source_ids_embedding": keras.layers.Embedding(
            source_vocabulary_size, dim, mask_zero=True, name="source_ids_embedding"
        ),
        "target_ids_embedding": keras.layers.Embedding(
            target_vocabulary_size, dim, mask_zero=True, name="target_ids_embedding"
        ),
        "logits": keras.layers.Dense(
            target_vocabulary_size, name="logits", dtype="float32"
        ),
    }
    for i in range(1, num_layers + 1):
        encoder = recurrent_layer(
            cell, units, f"encoder_{i}", return_sequences=True,
            return_state=True, dropout=dropout,
        )
        if bidirectional:
            state_sizes = encoder.state_size
            encoder = keras.layers.Bidirectional(encoder, name=f"encoder_{i}")
            for k, size in enumerate(state_sizes):
                made[f"bridge_{i}_{k}"] = keras.layers.Dense(
                    size, activation="tanh", name=f"bridge_{i}_{k}"
                )
        made[f"encoder_{i}"] = encoder
        if attention == "bahdanau" and i == 1:
            memory_dim = units * (2 if bidirectional else 1)
            decoder_cell = recurrent_layer(cell, units, "cell", dropout=dropout).cell
            made["decoder_1"] = AttentionRNN(
                AttentionCell(decoder_cell, BahdanauAttention(units), memory_dim),
                return_sequences=True, return_state=True, name="decoder_1",
            )
        else:
            made[f"decoder_{i}"] = recurrent_layer(
                cell, units, f"decoder_{i}", return_sequences=True,
                return_state=True, dropout=dropout,
            )
    if attention == "luong":
        made["attention"] = LuongAttention(name="attention")
        made["attention_concat"] = keras.layers.Concatenate(name="attention_concat")
        made["attention_output"] = keras.layers.Dense(
            units, activation="tanh", name="attention_output"
        )
    if dropout:
        made["output_dropout"] = keras.layers.Dropout(dropout, name="output_dropout")
    return made


def _encode(layers, source_ids, num_layers, bidirectional):
    """Source ids to `(memory, memory_mask, decoder initial states)`."""
    x = layers["source_ids_embedding"](source_ids)
    initial_states = []
    for i in range(1, num_layers + 1):
        x, *states = layers[f"encoder_{i}"](x)
        if bidirectional:
            half = len(states) // 2
            states = [
                layers[f"bridge_{i}_{k}"](ops.concatenate([f, b], axis=-1))
                for k, (f, b) in enumerate(zip(states[:half], states[half:]))
            ]
        initial_states.append(states)
    return x, ops.not_equal(source_ids, 0), initial_states


def _head(layers, x, memory, memory_mask, attention):
    """Top decoder outputs to logits (and Luong attention weights)."""
    weights = None
    if attention == "luong":
        context, weights = layers["attention"](x, memory, memory_mask)
        x = layers["attention_output"](layers["attention_concat"]([context, x]))
    if "output_dropout" in layers:
        x = layers["output_dropout"](x)
    return layers["logits"](x), weights


@keras.saving.register_keras_serializable(package="rnnzoo")
class Seq2Seq(PatternModel):
    """Encoder-decoder: read a sequence, then write another (Sutskever et
    al. 2014; Cho et al. 2014; Goodfellow fig. 10.12).

    The encoder (optionally bidirectional; its final states pass through a
    `tanh` bridge to the decoder) reads `"source_ids"`; the decoder starts
    from the encoder's final states and, trained with teacher forcing,
    reads `"target_ids"` (the target sequence after `start_id`) and
    predicts the target followed by `end_id`. With `attention="bahdanau"`
    the first decoder layer attends to the encoder outputs at every step,
    the context entering the recurrence (Bahdanau et al. 2015); with
    `"luong"` the top decoder output attends to them before the output
    layer (Luong et al. 2015, "general" score, without input feeding).
    Id 0 is padding on both sides and is masked.

    `compile()` with no arguments: Adam with `clipnorm=1.0`, sparse
    categorical cross-entropy from logits over non-padding target steps,
    accuracy per token. `generate` decodes with greedy or beam search.

    Args:
        cell: `"elman"`, `"jordan"`, `"lstm"` or `"gru"`.
        units: Positive integer, size of each recurrent layer.
        source_vocabulary_size: Size of the source vocabulary.
        target_vocabulary_size: Size of the target vocabulary.
        num_layers: Positive integer, layers in encoder and in decoder.
        dropout: Float in [0, 1), recurrent input dropout and dropout before
            the output.
        bidirectional: Whether the encoder layers read both ways.
        attention: `None`, `"bahdanau"` or `"luong"`.
        embedding_dim: Size of the token embeddings (default `units`).
        start_id: Target id that starts decoding (needed by `generate`).
        end_id: Target id that ends a sequence (needed by `generate`).
        task: `"seq2seq"`, the only one.
        **kwargs: `name`, `trainable`.

    Serving (`serving_endpoints`): source text in (reversed in the graph
    when the model was trained on reversed sources), `translation`,
    `tokens` and `scores` out; a `score` endpoint takes `text` and
    `target` and gives the target's teacher-forced `log_likelihood`,
    `token_count` and `correct` (its end token included).

    Example:

    >>> model = rnnzoo.models.Seq2Seq(cell="gru", units=32,
    ...     source_vocabulary_size=20, target_vocabulary_size=20,
    ...     attention="luong", start_id=1, end_id=2)
    >>> tokens, scores = model.generate(np.array([[5, 6, 7]]), max_length=4)
    >>> tokens.shape, scores.shape
    ((1, 4), (1,))

    Reference:
        - [Sutskever et al., 2014](https://arxiv.org/abs/1409.3215)
        - [Cho et al., 2014](https://arxiv.org/abs/1406.1078)
        - [Bahdanau et al., 2015](https://arxiv.org/abs/1409.0473)
        - [Luong et al., 2015](https://arxiv.org/abs/1508.04025)
    """

    TASKS = ("seq2seq",)

    def __init__(
        self,
        cell="lstm",
        units=128,
        source_vocabulary_size=None,
        target_vocabulary_size=None,
        num_layers=1,
        dropout=0.0,
        bidirectional=False,
        attention=None,
        embedding_dim=None,
        start_id=None,
        end_id=None,
        task=None,
        **kwargs,
    ):
        check_common(cell, units, num_layers, dropout)
        check_choice(attention, ATTENTIONS, "attention")
        task = check_task(task, self.TASKS, "seq2seq")
        for name, value in (
            ("source_vocabulary_size", source_vocabulary_size),
            ("target_vocabulary_size", target_vocabulary_size),
        ):
            if value is None:
                raise ValueError(f"Argument `{name}` is required.")
            check_positive_int(value, name)
        bidirectional = bool(bidirectional)
        made = _make_layers(
            cell, units, num_layers, dropout, bidirectional, attention,
            source_vocabulary_size, target_vocabulary_size, embedding_dim,
        )
        source = keras.Input((None,), dtype="int32", name="source_ids")
        target = keras.Input((None,), dtype="int32", name="target_ids")
        memory, memory_mask, states = _encode(made, source, num_layers, bidirectional)
        x = made["target_ids_embedding"](target)
        for i in range(1, num_layers + 1):
            layer = made[f"decoder_{i}"]
            if isinstance(layer, AttentionRNN):
                x, *_ = layer(x, memory, memory_mask=memory_mask, initial_state=states[0])
            else:
                x, *_ = layer(x, initial_state=states[i - 1])
        logits, _ = _head(made, x, memory, memory_mask, attention)
        super().__init__({"source_ids": source, "target_ids": target}, logits, **kwargs)
        self._constructor_config = {
            "name": self.name,
            "trainable": self.trainable,
            "cell": cell,
            "units": units,
            "source_vocabulary_size": source_vocabulary_size,
            "target_vocabulary_size": target_vocabulary_size,
            "num_layers": num_layers,
            "dropout": dropout,
            "bidirectional": bidirectional,
            "attention": attention,
            "embedding_dim": embedding_dim,
            "start_id": start_id,
            "end_id": end_id,
            "task": task,
        }

    @classmethod
    def data_arguments(cls, task_data):
        d = task_data
        return {
            "source_vocabulary_size": d.source_vocabulary_size,
            "target_vocabulary_size": d.target_vocabulary_size,
            "start_id": d.start_id,
            "end_id": d.end_id,
            "task": d.task,
        }

    def serving_endpoints(self, context):
        import tensorflow as tf

        from rnnzoo.models import serving

        if not context.has("source", "target"):
            return serving.raw_endpoints(self)
        config = self._constructor_config

        def source_ids(text):
            return context.ids("source", text, reverse=context.reverse_source,
                               argument="text")

        def serve(text):
            tokens, scores, _ = self.decode(
                source_ids(text),
                context.setting("max_new_tokens"),
                method=context.setting("decode_method"),
                beam_width=context.setting("beam_width"),
                length_penalty=context.setting("length_penalty"),
            )
            translation = context.text("target", tokens, config["end_id"])
            return {"translation": translation, "tokens": tokens, "scores": scores}

        def score(text, target):
            inputs, targets = serving.teacher_forcing(
                context.ids("target", target), config["start_id"], config["end_id"],
                context.max_input_tokens)
            logits = self({"source_ids": source_ids(text), "target_ids": inputs},
                          training=False)
            return serving.scores(logits, targets)

        target = tf.TensorSpec((None,), tf.string, name="target")
        return [("serving_default", serve, [serving.TEXT]),
                ("score", score, [serving.TEXT, target])]

    def sequence_mask(self, x):
        return ops.not_equal(input_named(x, "target_ids"), 0)

    def _layers_by_name(self):
        return {layer.name: layer for layer in self.layers}

    def encode(self, source_ids):
        """Returns `(memory, memory_mask, decoder initial states)`."""
        config = self._constructor_config
        return _encode(
            self._layers_by_name(), ops.convert_to_tensor(source_ids, "int32"),
            config["num_layers"], config["bidirectional"],
        )

    def decode_step(self, tokens, states, memory, memory_mask):
        """One decoder step: `(logits, new states, attention weights)`."""
        config = self._constructor_config
        layers = self._layers_by_name()
        x = embed(self, "target_ids_embedding", tokens)
        new_states, weights = [], None
        for i in range(1, config["num_layers"] + 1):
            layer = layers[f"decoder_{i}"]
            if isinstance(layer, AttentionRNN):
                x, state, weights = layer.cell.step(x, states[i - 1], memory, memory_mask)
            else:
                x, state = layer.cell(x, states[i - 1], training=False)
            new_states.append(list(state) if isinstance(state, (list, tuple)) else [state])
        logits, luong_weights = _head(layers, x, memory, memory_mask, config["attention"])
        return logits, new_states, (weights if luong_weights is None else luong_weights)

    def decode(self, source_ids, max_length, method="greedy", beam_width=4,
               length_penalty=0.0):
        """Traceable decoding: returns tensors `(tokens, scores, attention)`.

        `attention` is `(batch, max_length, source_steps)` or `None` without
        attention. See `generate`.
        """
        config = self._constructor_config
        check_choice(method, METHODS, "method")
        if config["start_id"] is None or config["end_id"] is None:
            raise ValueError(
                "Decoding needs `start_id` and `end_id`: pass them when "
                "creating the model."
            )
        memory, memory_mask, states = self.encode(source_ids)
        start = ops.full((ops.shape(memory)[0],), config["start_id"], "int32")
        if method == "beam":
            memory = ops.repeat(memory, beam_width, axis=0)
            memory_mask = ops.repeat(memory_mask, beam_width, axis=0)

        def step(tokens, states):
            return self.decode_step(tokens, states, memory, memory_mask)

        if method == "beam":
            return decoding.beam_search(
                step, states, start, max_length, config["end_id"],
                beam_width, length_penalty,
            )
        return decoding.sample(step, states, start, max_length, config["end_id"])

    def generate(self, source_ids, max_length=50, method="greedy", beam_width=4,
                 length_penalty=0.0, return_attention=False):
        """Writes the target sequence for each source sequence.

        Args:
            source_ids: Int array `(batch, source_steps)`, 0-padded.
            max_length: Positive integer, the most target tokens.
            method: `"greedy"` or `"beam"`.
            beam_width: Number of beams for beam search.
            length_penalty: `alpha` of the GNMT length normalization used to
                rank finished beams (0: total log-probability).
            return_attention: Whether to also return the attention weights.

        Returns:
            NumPy `tokens (batch, max_length)` (the end token kept, 0 after
            it), `scores (batch,)` (log-probabilities), and with
            `return_attention`, `attention (batch, max_length,
            source_steps)`.
        """
        tokens, scores, attention = decoding.traced(self, "decode")(
            ops.convert_to_tensor(source_ids, "int32"), max_length, method,
            beam_width, length_penalty,
        )
        result = (ops.convert_to_numpy(tokens), ops.convert_to_numpy(scores))
        if return_attention:
            if attention is None:
                raise ValueError("This model has no attention (attention=None).")
            result += (ops.convert_to_numpy(attention),)
        return result
