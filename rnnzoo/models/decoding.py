"""Decoding: greedy search, sampling and beam search.

Each function drives a `step_fn(tokens, state) -> (logits, state, aux)`
that advances a model by one step: `tokens` has shape `(n,)`, `logits`
`(n, vocabulary)`, `state` is any nested structure of tensors with first
dimension `n`, and `aux` is `None` or a tensor `(n, ...)` recorded at every
step (attention weights, for instance). The loops are `keras.ops.while_loop`
with buffers of fixed shape, so they trace into a graph (and export into a
SavedModel) on every backend. Decoding stops when every sequence has
produced `end_id`, or after `max_length` steps. Id 0 is padding: it is
never produced; in the returned tokens the end token is kept and followed by
0.
"""

import weakref

import keras
from keras import ops

from rnnzoo.checks import check_positive_int

NEG_INF = -1e9

_TRACED = weakref.WeakKeyDictionary()


def traced(model, method):
    """`model.method` compiled into one graph function on TensorFlow (the
    step loop runs in the graph, not in Python: 6-60x faster generation,
    benchmarks/results/pattern_throughput.md); as it is on other backends.
    Python arguments (lengths, method names) are part of the trace key."""
    fn = getattr(model, method)
    if keras.backend.backend() != "tensorflow":
        return fn
    import tensorflow as tf

    functions = _TRACED.setdefault(model, {})
    if method not in functions:
        functions[method] = tf.function(fn, reduce_retracing=True)
    return functions[method]


def _write(buffer, step, values):
    """`buffer[:, step] = values` for `buffer (n, length, ...)`."""
    length = ops.shape(buffer)[1]
    hit = ops.arange(length) == step
    hit = ops.reshape(hit, (1, -1) + (1,) * (len(buffer.shape) - 2))
    return ops.where(hit, ops.expand_dims(values, 1), buffer)


def _aux_buffer(aux, batch, max_length):
    if aux is None:
        return ops.zeros((batch, max_length, 0))
    # Dynamic shape: the attention over a source of unknown length in a graph.
    return ops.zeros((batch, max_length) + tuple(ops.shape(aux)[1:]), aux.dtype)


def _is_tensor(value):
    return value is not None and not isinstance(value, (int, float))


def _rank(value):
    """The rank of a tensor or array; 0 for a Python number."""
    return len(getattr(value, "shape", ()))


def _uniform(seed, step, shape):
    """Uniform (0, 1) noise from a counter-based hash of `(seed, step,
    position)`: reproducible, identical on every backend, and usable in a
    traced loop (unlike stateful random ops).

    A scalar `seed` numbers the positions of the whole `(rows, tokens)`
    block, so the rows of a batch draw different noise; a `(rows,)` seed
    (one per row) numbers each row's tokens alone, so a row's noise depends
    on its own seed only, not on its place in the batch. Row 0 draws the
    same noise either way."""
    rows, size = shape
    if _rank(seed) == 1:
        counter = ops.expand_dims(ops.cast(ops.arange(size), "uint32"), 0)
        base = ops.expand_dims(ops.cast(seed, "uint32"), 1) * ops.cast(0x9E3779B1, "uint32")
    else:
        counter = ops.reshape(ops.cast(ops.arange(rows * size), "uint32"), (rows, size))
        base = ops.cast(seed, "uint32") * ops.cast(0x9E3779B1, "uint32")
    x = counter + base + ops.cast(step, "uint32") * ops.cast(0x85EBCA77, "uint32")
    for shift, factor in ((16, 0x85EBCA6B), (13, 0xC2B2AE35)):
        x = ops.bitwise_xor(x, ops.right_shift(x, shift))
        x = x * ops.cast(factor, "uint32")
    x = ops.bitwise_xor(x, ops.right_shift(x, 16))
    return (ops.cast(ops.right_shift(x, 8), "float32") + 0.5) / 16777216.0


def _log_probs(logits):
    """Log-softmax in float32, with the padding id 0 ruled out."""
    logits = ops.cast(logits, "float32")
    logits = ops.where(ops.arange(logits.shape[-1]) == 0, NEG_INF, logits)
    return ops.log_softmax(logits, axis=-1)


def _choose(logits, step, temperature, top_k, seed):
    """Next tokens: argmax, or a sample with temperature and top-k, from
    log-probabilities `logits`. Python settings pick the path when the
    function is traced; tensor settings (scalars, or one value per row)
    are read in the graph (`_choose_per_row`)."""
    if _is_tensor(temperature) or _is_tensor(top_k):
        return _choose_per_row(logits, step, temperature, top_k, seed)
    if temperature is None or temperature == 0:
        return ops.cast(ops.argmax(logits, axis=-1), "int32")
    logits = logits / temperature
    if top_k:
        kth = ops.top_k(logits, k=top_k)[0][:, -1:]
        logits = ops.where(logits < kth, NEG_INF, logits)
    gumbel = -ops.log(-ops.log(_uniform(seed, step, ops.shape(logits))))
    return ops.cast(ops.argmax(logits + gumbel, axis=-1), "int32")


def _per_row(value, rows, dtype):
    """A scalar or `(rows,)` setting as a `(rows,)` tensor."""
    return ops.cast(value, dtype) * ops.ones((rows,), dtype)


def _choose_per_row(logits, step, temperature, top_k, seed):
    """`_choose` with settings that are tensors, a scalar or one value per
    row: temperature 0 is greedy, top-k 0 (or `None`) keeps every token, a
    top-k above the vocabulary keeps them all. A row draws what `_choose`
    draws with the same settings as Python numbers and the same `seed`."""
    rows, size = ops.shape(logits)[0], logits.shape[-1]
    temperature = _per_row(0.0 if temperature is None else temperature, rows, "float32")
    greedy = ops.cast(ops.argmax(logits, axis=-1), "int32")
    scaled = logits / ops.where(temperature > 0, temperature, 1.0)[:, None]
    if top_k is not None:
        k = _per_row(top_k, rows, "int32")

        def keep_top_k():
            ranked = ops.flip(ops.sort(scaled, axis=-1), axis=-1)
            index = ops.clip(k, 1, size)[:, None] - 1
            kth = ops.take_along_axis(ranked, index, axis=-1)
            return ops.where(ops.logical_and(k[:, None] > 0, scaled < kth), NEG_INF, scaled)

        scaled = ops.cond(ops.any(k > 0), keep_top_k, lambda: scaled)
    gumbel = -ops.log(-ops.log(_uniform(seed, step, (rows, size))))
    sampled = ops.cast(ops.argmax(scaled + gumbel, axis=-1), "int32")
    return ops.where(temperature > 0, sampled, greedy)


def sample(
    step_fn,
    state,
    start_ids,
    max_length,
    end_id=None,
    temperature=0.0,
    top_k=None,
    seed=0,
):
    """Greedy search (`temperature=0`, the default) or sampling.

    Args:
        step_fn: The model step, see the module docstring.
        state: Initial state, nested tensors `(batch, ...)`.
        start_ids: Int tensor `(batch,)`, the first input tokens.
        max_length: Positive int, the most tokens to produce; or an int
            tensor `(batch,)`, each row's most tokens (the output has as
            many steps as the largest, a row ends with 0 after its own).
        end_id: Optional int; a sequence stops after producing it.
        temperature: 0 for greedy search, else the softmax temperature; a
            float, or a float tensor (scalar or one per row: 0 = greedy).
        top_k: Optional int; sample among the `top_k` likeliest tokens; an
            int tensor (scalar or one per row) with 0 for every token.
        seed: Int seed of the sampling noise; an int tensor `(batch,)` gives
            each row its own seed, and its noise then depends on that seed
            alone, not on the row's place in the batch (see `_uniform`).

    Returns:
        `(tokens, scores, aux)`: tokens `(batch, max_length)` int32;
        scores `(batch,)`, the log-probability of the tokens under the
        model (temperature 1); aux `(batch, max_length, ...)` or `None`.
    """
    limits = None
    if _rank(max_length) == 1:
        limits = ops.cast(max_length, "int32")
        max_length = ops.max(limits, initial=0)
    elif not _is_tensor(max_length):
        max_length = check_positive_int(max_length, "max_length")
    start_ids = ops.cast(start_ids, "int32")
    batch = ops.shape(start_ids)[0]
    logits, _, aux = step_fn(start_ids, state)  # Shapes only; traced once.
    has_aux = aux is not None
    tokens = ops.zeros((batch, max_length), "int32")
    aux_buffer = _aux_buffer(aux, batch, max_length)
    scores = ops.zeros((batch,), "float32")
    finished = ops.zeros((batch,), "bool")

    def cond(step, last, state, tokens, finished, scores, aux_buffer):
        return ops.logical_and(step < max_length, ops.logical_not(ops.all(finished)))

    def body(step, last, state, tokens, finished, scores, aux_buffer):
        if limits is not None:
            finished = ops.logical_or(finished, step >= limits)
        logits, state, aux = step_fn(last, state)
        log_probs = _log_probs(logits)
        chosen = _choose(log_probs, step, temperature, top_k, seed)
        chosen = ops.where(finished, 0, chosen)
        picked = ops.take_along_axis(log_probs, chosen[:, None], axis=-1)[:, 0]
        scores = scores + ops.where(finished, 0.0, picked)
        tokens = _write(tokens, step, chosen)
        if has_aux:
            aux_buffer = _write(aux_buffer, step, ops.cast(aux, aux_buffer.dtype))
        if end_id is not None:
            finished = ops.logical_or(finished, chosen == end_id)
        return step + 1, chosen, state, tokens, finished, scores, aux_buffer

    loop_vars = (0, start_ids, state, tokens, finished, scores, aux_buffer)
    _, _, _, tokens, _, scores, aux_buffer = ops.while_loop(
        cond, body, loop_vars, maximum_iterations=max_length
    )
    return tokens, scores, (aux_buffer if has_aux else None)


def length_penalty_factor(lengths, alpha):
    """GNMT length normalization `((5 + length) / 6) ** alpha` (Wu et al.
    2016); `alpha=0` ranks by total log-probability."""
    return ops.power((5.0 + ops.cast(lengths, "float32")) / 6.0, alpha)


def beam_search(
    step_fn,
    state,
    start_ids,
    max_length,
    end_id=None,
    beam_width=4,
    length_penalty=0.0,
):
    """Beam search: keeps the `beam_width` likeliest prefixes at each step.

    A finished beam only extends with padding, at no cost. At the end the
    beams are ranked by log-probability divided by
    `length_penalty_factor(length, length_penalty)`.

    Args:
        step_fn, state, start_ids, max_length, end_id: As in `sample`.
        beam_width: Positive int, the number of beams.
        length_penalty: Float `alpha` >= 0 of the length normalization.

    Returns:
        `(tokens, scores, aux)` of the best beam, as in `sample`; scores
        are the beams' log-probabilities (without the length penalty).
    """
    max_length = check_positive_int(max_length, "max_length")
    width = check_positive_int(beam_width, "beam_width")
    start_ids = ops.cast(start_ids, "int32")
    batch = ops.shape(start_ids)[0]
    tile = lambda x: ops.repeat(x, width, axis=0)  # noqa: E731
    state = keras.tree.map_structure(tile, state)
    last = tile(start_ids)
    logits, _, aux = step_fn(last, state)  # Shapes only; traced once.
    vocabulary = logits.shape[-1]
    has_aux = aux is not None
    tokens = ops.zeros((batch * width, max_length), "int32")
    aux_buffer = _aux_buffer(aux, batch * width, max_length)
    # Only the first beam is alive at the start: the others are copies.
    first = ops.concatenate([ops.zeros((1,)), ops.full((width - 1,), NEG_INF)])
    scores = ops.tile(ops.expand_dims(first, 0), (batch, 1))
    finished = ops.zeros((batch * width,), "bool")
    offsets = ops.repeat(ops.arange(batch) * width, width)

    def cond(step, last, state, tokens, finished, scores, aux_buffer):
        return ops.logical_and(step < max_length, ops.logical_not(ops.all(finished)))

    def body(step, last, state, tokens, finished, scores, aux_buffer):
        logits, state, aux = step_fn(last, state)
        log_probs = _log_probs(logits)
        pad_only = ops.where(ops.arange(vocabulary) == 0, 0.0, NEG_INF)
        log_probs = ops.where(finished[:, None], pad_only[None, :], log_probs)
        candidates = ops.reshape(scores, (-1, 1)) + log_probs
        candidates = ops.reshape(candidates, (batch, width * vocabulary))
        scores, index = ops.top_k(candidates, k=width)
        parent = ops.reshape(index // vocabulary, (-1,)) + offsets
        chosen = ops.cast(ops.reshape(index % vocabulary, (-1,)), "int32")
        pick = lambda x: ops.take(x, parent, axis=0)  # noqa: E731
        state = keras.tree.map_structure(pick, state)
        tokens = _write(pick(tokens), step, chosen)
        if has_aux:
            aux_buffer = _write(
                pick(aux_buffer), step, ops.cast(pick(aux), aux_buffer.dtype)
            )
        finished = pick(finished)
        if end_id is not None:
            finished = ops.logical_or(finished, chosen == end_id)
        return step + 1, chosen, state, tokens, finished, scores, aux_buffer

    loop_vars = (0, last, state, tokens, finished, scores, aux_buffer)
    _, _, _, tokens, _, scores, aux_buffer = ops.while_loop(
        cond, body, loop_vars, maximum_iterations=max_length
    )
    lengths = ops.sum(ops.cast(tokens != 0, "float32"), axis=-1)
    ranked = ops.reshape(scores, (-1,)) / length_penalty_factor(lengths, length_penalty)
    best = ops.argmax(ops.reshape(ranked, (batch, width)), axis=-1)
    best = ops.arange(batch) * width + ops.cast(best, "int32")
    tokens = ops.take(tokens, best, axis=0)
    scores = ops.take(ops.reshape(scores, (-1,)), best, axis=0)
    aux_buffer = ops.take(aux_buffer, best, axis=0) if has_aux else None
    return tokens, scores, aux_buffer


def prime(step_fn, state, prompt):
    """Feeds a right-padded prompt through `step_fn`, all but each row's
    last token; returns `(state, last tokens)` to start decoding from.

    Padding (id 0) leaves a row's state unchanged, so prompts of different
    lengths share a batch; an empty row starts from token 0.
    """
    prompt = ops.cast(prompt, "int32")
    prompt = ops.concatenate([prompt, ops.zeros_like(prompt[:, :1])], axis=1)
    lengths = ops.sum(ops.cast(prompt != 0, "int32"), axis=1)
    last = ops.take_along_axis(prompt, ops.maximum(lengths - 1, 0)[:, None], 1)[:, 0]

    def body(t, state):
        _, new_state, _ = step_fn(ops.take(prompt, t, axis=1), state)
        keep = t < lengths - 1
        return keras.tree.map_structure(
            lambda new, old: ops.where(
                ops.reshape(keep, (-1,) + (1,) * (len(old.shape) - 1)), new, old
            ),
            new_state,
            state,
        )

    state = ops.fori_loop(0, ops.shape(prompt)[1] - 1, body, state)
    return state, last
