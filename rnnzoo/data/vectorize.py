"""Keras preprocessing layers that turn text into token ids.

Every vocabulary is learned from the training split only (with `adapt`),
then frozen into a fresh layer built from the explicit vocabulary list, so
that `get_config()` holds it and the layer can sit in front of a model in an
exported graph. Id 0 is padding (the empty mask token) and id 1 the
out-of-vocabulary token `[UNK]`; decoder vocabularies reserve 2 and 3 for
`[START]` and `[END]`.

Only Keras's built-in `standardize` options are used: a callable one does
not run inside `tf.data` under the JAX backend.
"""

import keras
import tensorflow as tf

from rnnzoo.checks import check_choice
from rnnzoo.data.task_data import END_TOKEN
from rnnzoo.data.task_data import START_TOKEN

TOKENS = ("char", "word")
#: How `TextVectorization` splits text into each kind of token...
SPLITS = {"char": "character", "word": "whitespace"}
#: ...and what joins tokens back into text.
SEPARATORS = {"char": "", "word": " "}
DECODER_TOKENS = (START_TOKEN, END_TOKEN)
#: Vocabulary entries that are not text: padding, out-of-vocabulary, and
#: the decoder's start and end tokens. Text made from ids never holds them.
SPECIAL_TOKENS = ("", "[UNK]", *DECODER_TOKENS)

#: Default standardization of word tokens, per task.
WORD_STANDARDIZE = {
    "classification": "lower_and_strip_punctuation",
    "conditional_generation": "lower",
    "language_model": "lower",
    "seq2seq": "lower",
}


def check_tokens(tokens):
    return check_choice(tokens, TOKENS, "tokens")


def token_separator(tokens):
    """What joins tokens of the kind `tokens` (`None`: characters) into text."""
    return SEPARATORS[tokens or "char"]


def text_vectorizer(texts, tokens, *, max_tokens=None, standardize=None,
                    reserved=(), name=None):
    """Learns a `TextVectorization` layer from training texts.

    Args:
        texts: a `tf.data.Dataset` of scalar strings (the training split).
        tokens: `"char"` (Unicode characters, nothing standardized) or
            `"word"` (whitespace-separated, after `standardize`).
        max_tokens: the largest vocabulary, padding and OOV included
            (`None`: every token seen).
        standardize: for word tokens, a built-in Keras option
            (`"lower"`, `"lower_and_strip_punctuation"`, ...) or `None`.
        reserved: tokens put right after padding and OOV (ids 2, 3, ...),
            e.g. `DECODER_TOKENS`.
        name: the layer's name.

    Returns:
        A `keras.layers.TextVectorization` with an explicit vocabulary.
    """
    check_tokens(tokens)
    options = dict(
        standardize=None if tokens == "char" else standardize,
        split=SPLITS[tokens],
        output_mode="int",
    )
    learner = keras.layers.TextVectorization(
        max_tokens=_learned_max(max_tokens, reserved), **options
    )
    learner.adapt(texts.batch(1024))
    words = _with_reserved(vocabulary(learner), reserved)
    return keras.layers.TextVectorization(
        vocabulary=words, name=name, **options
    )


def fixed_text_vectorizer(symbols, *, tokens="char", reserved=(), name=None,
                          standardize=None):
    """A `TextVectorization` layer over a fixed list of symbols (word
    tokens standardized by `standardize`, as for `text_vectorizer`)."""
    check_tokens(tokens)
    return keras.layers.TextVectorization(
        standardize=None if tokens == "char" else standardize,
        split=SPLITS[tokens],
        output_mode="int",
        vocabulary=list(reserved) + list(symbols),
        name=name,
    )


def token_lookup(tokens, *, max_tokens=None, name=None):
    """Learns a `StringLookup` for pre-split tokens (0 padding, 1 OOV).

    Args:
        tokens: a `tf.data.Dataset` of 1-D string tensors (training split).
        max_tokens: the largest vocabulary, padding and OOV included.
        name: the layer's name.
    """
    learner = keras.layers.StringLookup(mask_token="", max_tokens=max_tokens)
    learner.adapt(tokens)
    return keras.layers.StringLookup(
        mask_token="", vocabulary=vocabulary(learner), name=name
    )


def label_lookup(names, *, name="labels"):
    """A `StringLookup` mapping each name to its index in `names`.

    There is no padding and no OOV entry: an unknown name is an error.
    """
    return keras.layers.StringLookup(
        vocabulary=list(names), num_oov_indices=0, mask_token=None, name=name
    )


def to_ids(vectorizer, text):
    """Token ids (int32, shape `(T,)`) of one string or one token vector."""
    if text.shape.rank == 0:
        ids = vectorizer(tf.reshape(text, [1]))[0]
    else:
        ids = vectorizer(text)
    return tf.cast(ids, tf.int32)


def vocabulary(layer):
    """The vocabulary of a `TextVectorization` or `StringLookup` as a list
    of `str`, index = id."""
    return [t.decode("utf-8") if isinstance(t, bytes) else str(t)
            for t in layer.get_vocabulary()]


def _learned_max(max_tokens, reserved):
    if max_tokens is None:
        return None
    learned = int(max_tokens) - len(reserved)
    if learned < 3:
        raise ValueError(
            f"`max_tokens` must leave room for padding, OOV, {len(reserved)}"
            f" reserved token(s) and one more; got {max_tokens}."
        )
    return learned


def _with_reserved(learned, reserved):
    # `learned` starts with the padding and OOV tokens.
    head, rest = list(learned[:2]), list(learned[2:])
    rest = [token for token in rest if token not in reserved]
    return head + list(reserved) + rest
