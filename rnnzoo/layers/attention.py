"""Attention for decoders: Bahdanau (additive) and Luong (multiplicative),
and a recurrent layer whose cell attends to a memory at every step."""

import keras
from keras import ops

from rnnzoo.checks import check_choice
from rnnzoo.checks import check_positive_int

NEG_INF = -1e9


def masked_softmax(scores, mask=None):
    """Softmax over the last axis of `scores`, ignoring masked positions."""
    scores = ops.cast(scores, "float32")
    if mask is not None:
        mask = ops.cast(mask, "bool")
        while len(mask.shape) < len(scores.shape):
            mask = ops.expand_dims(mask, -2)
        scores = ops.where(mask, scores, NEG_INF)
    return ops.softmax(scores, axis=-1)


class _Attention(keras.layers.Layer):
    """Base: `call(query, memory, memory_mask=None)` returns the context
    `(batch, [steps,] memory_dim)` and the weights `(batch, [steps,]
    memory_steps)`, for one query `(batch, query_dim)` or a sequence of
    queries `(batch, steps, query_dim)`. Both keep the queries' mask."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def scores(self, query, memory):
        raise NotImplementedError

    def call(self, query, memory, memory_mask=None):
        weights = masked_softmax(self.scores(query, memory), memory_mask)
        weights = ops.cast(weights, memory.dtype)
        if len(query.shape) == 2:
            context = ops.einsum("bs,bsd->bd", weights, memory)
        else:
            context = ops.einsum("bts,bsd->btd", weights, memory)
        return context, weights

    def compute_mask(self, query, previous_mask=None):
        return [previous_mask, previous_mask]

    def compute_output_shape(self, query_shape, memory_shape, memory_mask_shape=None):
        context = tuple(query_shape[:-1]) + (memory_shape[-1],)
        return context, tuple(query_shape[:-1]) + (memory_shape[1],)


@keras.saving.register_keras_serializable(package="rnnzoo")
class BahdanauAttention(_Attention):
    """Additive attention: `score(q, m_j) = v . tanh(q W_q + m_j W_m)`.

    Args:
        units: Positive integer, size of the hidden layer of the score.
        **kwargs: Base layer arguments.

    Reference:
        - [Bahdanau et al., 2015](https://arxiv.org/abs/1409.0473)
    """

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = check_positive_int(units, "units")

    def build(self, query_shape, memory_shape, memory_mask_shape=None):
        self.query_kernel = self.add_weight(
            shape=(query_shape[-1], self.units), name="query_kernel"
        )
        self.memory_kernel = self.add_weight(
            shape=(memory_shape[-1], self.units), name="memory_kernel"
        )
        self.score_vector = self.add_weight(
            shape=(self.units,), name="score_vector"
        )

    def scores(self, query, memory):
        q = ops.matmul(query, self.query_kernel)
        m = ops.matmul(memory, self.memory_kernel)
        if len(query.shape) == 2:
            hidden = ops.tanh(ops.expand_dims(q, 1) + m)  # (b, s, units)
        else:
            hidden = ops.tanh(ops.expand_dims(q, 2) + ops.expand_dims(m, 1))
        return ops.matmul(hidden, self.score_vector)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@keras.saving.register_keras_serializable(package="rnnzoo")
class LuongAttention(_Attention):
    """Multiplicative attention: `score(q, m_j) = q W m_j` ("general") or
    `q . m_j` ("dot", for equal sizes).

    Args:
        score: `"general"` (default) or `"dot"`.
        **kwargs: Base layer arguments.

    Reference:
        - [Luong et al., 2015](https://arxiv.org/abs/1508.04025)
    """

    def __init__(self, score="general", **kwargs):
        super().__init__(**kwargs)
        self.score = check_choice(score, ("general", "dot"), "score")

    def build(self, query_shape, memory_shape, memory_mask_shape=None):
        if self.score == "general":
            self.kernel = self.add_weight(
                shape=(query_shape[-1], memory_shape[-1]), name="kernel"
            )
        elif query_shape[-1] != memory_shape[-1]:
            raise ValueError(
                "`score='dot'` needs queries and memory of the same size. "
                f"Received: {query_shape[-1]} and {memory_shape[-1]}"
            )

    def scores(self, query, memory):
        if self.score == "general":
            query = ops.matmul(query, self.kernel)
        if len(query.shape) == 2:
            return ops.einsum("bd,bsd->bs", query, memory)
        return ops.einsum("btd,bsd->bts", query, memory)

    def get_config(self):
        return {**super().get_config(), "score": self.score}


@keras.saving.register_keras_serializable(package="rnnzoo")
class AttentionCell(keras.layers.Layer):
    """Wraps a cell so that each step attends to a memory (Bahdanau style).

    At step `t` the query is the cell's previous output `h_{t-1}` (its first
    state), the context `c_t = attention(h_{t-1}, memory)` is fed to the cell
    beside the input, and the output is `[h_t, c_t]`. `memory_dim` is the
    size of the memory's last axis.

    Use it through `AttentionRNN`, which passes the memory; `step` runs one
    step with an explicit memory (decoding).
    """

    def __init__(self, cell, attention, memory_dim, **kwargs):
        super().__init__(**kwargs)
        self.cell = cell
        self.attention = attention
        self.memory_dim = check_positive_int(memory_dim, "memory_dim")
        self.state_size = cell.state_size
        self.output_size = cell.output_size + self.memory_dim
        self._memory = None

    def build(self, input_shape):
        sizes = self.state_size
        query_dim = sizes[0] if isinstance(sizes, (list, tuple)) else sizes
        self.attention.build((None, query_dim), (None, None, self.memory_dim))
        self.cell.build((None, input_shape[-1] + self.memory_dim))

    def get_initial_state(self, batch_size=None):
        return self.cell.get_initial_state(batch_size)

    def step(self, inputs, states, memory, memory_mask=None, training=False):
        """One step: returns `(output, new_states, attention_weights)`."""
        states = list(states) if isinstance(states, (list, tuple)) else [states]
        context, weights = self.attention(states[0], memory, memory_mask)
        inputs = ops.concatenate([inputs, ops.cast(context, inputs.dtype)], -1)
        output, new_states = self.cell(inputs, states, training=training)
        output = ops.concatenate([output, ops.cast(context, output.dtype)], -1)
        return output, new_states, weights

    def call(self, inputs, states, training=False):
        memory, memory_mask = self._memory
        output, new_states, _ = self.step(
            inputs, states, memory, memory_mask, training
        )
        return output, new_states

    def get_config(self):
        return {
            **super().get_config(),
            "cell": keras.saving.serialize_keras_object(self.cell),
            "attention": keras.saving.serialize_keras_object(self.attention),
            "memory_dim": self.memory_dim,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["cell"] = keras.saving.deserialize_keras_object(config["cell"])
        config["attention"] = keras.saving.deserialize_keras_object(
            config["attention"]
        )
        return cls(**config)


@keras.saving.register_keras_serializable(package="rnnzoo")
class AttentionRNN(keras.layers.RNN):
    """A recurrent layer whose `AttentionCell` attends to a memory.

    Call arguments:
        inputs: `(batch, steps, features)`.
        memory: `(batch, memory_steps, memory_dim)`, e.g. encoder outputs.
        memory_mask: Optional boolean `(batch, memory_steps)`.
        initial_state, mask, training: As in `keras.layers.RNN`.

    The outputs are `[h_t, c_t]` per step (with `return_sequences`).
    """

    def __init__(self, cell, **kwargs):
        if not isinstance(cell, AttentionCell):
            raise ValueError(
                "Argument `cell` must be an `AttentionCell`. "
                f"Received: cell={cell!r}"
            )
        super().__init__(cell, **kwargs)

    def build(
        self,
        sequences_shape,
        memory_shape=None,
        memory_mask_shape=None,
        initial_state_shape=None,
    ):
        super().build(sequences_shape, initial_state_shape)

    def call(
        self,
        sequences,
        memory,
        memory_mask=None,
        initial_state=None,
        mask=None,
        training=False,
    ):
        cell = self.cell
        inner = cell.cell
        if hasattr(inner, "start_sequence"):  # One dropout mask per sequence.
            batch = ops.shape(sequences)[0]
            step_input = ops.zeros((batch, sequences.shape[-1] + cell.memory_dim))
            feedback = ops.zeros((batch, self.state_size[0]))
            inner.start_sequence(step_input, feedback, training)
        cell._memory = (memory, memory_mask)
        try:
            return super().call(
                sequences,
                initial_state=initial_state,
                mask=mask,
                training=training,
            )
        finally:
            cell._memory = None
            if hasattr(inner, "end_sequence"):
                inner.end_sequence()

    def compute_output_shape(
        self,
        sequences_shape,
        memory_shape=None,
        memory_mask_shape=None,
        initial_state_shape=None,
    ):
        return super().compute_output_shape(sequences_shape)

