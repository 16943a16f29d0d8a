"""Pipelines from raw text splits: classification, seq2seq, generation.

Each function takes `raw`, a dict with the keys `"train"`, `"validation"`
and `"test"` of unbatched `tf.data.Dataset`s of raw strings, learns the
vocabulary on `raw["train"]` only, and returns a `TaskData`.
"""

import tensorflow as tf

from rnnzoo.data import batching
from rnnzoo.data import vectorize
from rnnzoo.data.task_data import TaskData

DEFAULT_MAX_TOKENS = {"char": None, "word": 20_000}


def _max_tokens(tokens, max_tokens):
    return DEFAULT_MAX_TOKENS[tokens] if max_tokens is None else max_tokens


def _truncate(ids, max_length):
    return ids if max_length is None else ids[:max_length]


def _split_map(raw, fn):
    return {split: ds.map(fn, num_parallel_calls=tf.data.AUTOTUNE)
            for split, ds in raw.items()}


def _batch(pairs, length_fn, batch_size, max_length, seed):
    return {
        split: batching.batch_by_length(
            ds, length_fn, batch_size, max_length=max_length,
            shuffle=split == "train", seed=seed,
        )
        for split, ds in pairs.items()
    }


def _labels(label_names, string_labels):
    """Returns `(vectorizers, to_class_id)` for raw labels."""
    if not string_labels:
        return {}, lambda label: tf.cast(label, tf.int32)
    lookup = vectorize.label_lookup(label_names, name="labels")
    return {"labels": lookup}, lambda label: tf.cast(lookup(label), tf.int32)


def classification(raw, *, label_names, string_labels, tokens="word",
                   batch_size=32, max_length=None, max_tokens=None,
                   standardize=None, seed=0, info=None,
                   vectorizers=None):
    """Text classification: `(text, label)` pairs.

    Args:
        raw: splits of `(text, label)` pairs; `label` is an integer class id,
            or a string when `string_labels` is true.
        label_names: the class names; index = class id.
        string_labels: whether the labels are strings (then a `"labels"`
            `StringLookup` over `label_names` maps them to ids).
        tokens: `"char"` or `"word"`.
        max_length: keep the first `max_length` tokens of each text.
        max_tokens: the largest vocabulary (default: all characters, or
            20,000 words).
        standardize: word standardization (default
            `"lower_and_strip_punctuation"`).
        vectorizers: optional `{"tokens": layer}`: a fixed vocabulary (a
            trained model's) instead of one built from the training texts.

    Returns:
        `TaskData` of `({"token_ids": (B, T)}, class_id (B,))` batches.
    """
    if standardize is None:
        standardize = vectorize.WORD_STANDARDIZE["classification"]
    vectorizer = (vectorizers or {}).get("tokens") or vectorize.text_vectorizer(
        raw["train"].map(lambda text, label: text), tokens,
        max_tokens=_max_tokens(tokens, max_tokens), standardize=standardize,
        name="tokens",
    )
    vectorizers, to_class_id = _labels(label_names, string_labels)

    def encode(text, label):
        ids = _truncate(vectorize.to_ids(vectorizer, text), max_length)
        return {"token_ids": ids}, to_class_id(label)

    splits = _batch(
        _split_map(raw, encode),
        lambda inputs, label: tf.shape(inputs["token_ids"])[0],
        batch_size, max_length, seed,
    )
    return TaskData(
        task="classification",
        **splits,
        vectorizers={"tokens": vectorizer, **vectorizers},
        vocabulary_size=vectorizer.vocabulary_size(),
        num_classes=len(label_names),
        label_names=list(label_names),
        max_length=max_length,
        info=dict(info or {}, tokens=tokens),
    )


def _decoder_pair(ids, start_id, end_id, max_length):
    """`[start] + ids` and `ids + [end]`, both at most `max_length` long."""
    if max_length is not None:
        ids = ids[: max_length - 1]
    start = tf.constant([start_id], tf.int32)
    end = tf.constant([end_id], tf.int32)
    return tf.concat([start, ids], 0), tf.concat([ids, end], 0)


def seq2seq(raw, *, tokens="word", batch_size=32, max_length=None,
            max_tokens=None, standardize=None, seed=0, info=None,
            vectorizers=None):
    """Sequence to sequence: `(source, target)` string pairs.

    The decoder input is the target after `[START]`; the decoder target is
    the target followed by `[END]` (same length, teacher forcing).

    Args:
        raw: splits of `(source, target)` string pairs.
        tokens: `"char"` or `"word"`, for both sides.
        max_length: the longest source and decoder sequence (the target is
            cut to `max_length - 1` tokens before adding start/end).
        max_tokens: the largest vocabulary of each side.
        standardize: word standardization (default `"lower"`).
        vectorizers: optional fixed `{"source": ..., "target": ...}` layers
            (the target one with `[START]`, `[END]` at ids 2, 3) instead of
            learning them.

    Returns:
        `TaskData` of `({"source_ids": (B, S), "target_ids": (B, T)},
        targets (B, T))` batches.
    """
    if standardize is None:
        standardize = vectorize.WORD_STANDARDIZE["seq2seq"]
    if vectorizers is None:
        limit = _max_tokens(tokens, max_tokens)
        vectorizers = {
            "source": vectorize.text_vectorizer(
                raw["train"].map(lambda s, t: s), tokens, max_tokens=limit,
                standardize=standardize, name="source",
            ),
            "target": vectorize.text_vectorizer(
                raw["train"].map(lambda s, t: t), tokens, max_tokens=limit,
                standardize=standardize, reserved=vectorize.DECODER_TOKENS,
                name="target",
            ),
        }
    source_vec, target_vec = vectorizers["source"], vectorizers["target"]
    start_id, end_id = _decoder_ids(target_vec)

    def encode(source, target):
        source_ids = _truncate(vectorize.to_ids(source_vec, source), max_length)
        decoder_in, decoder_out = _decoder_pair(
            vectorize.to_ids(target_vec, target), start_id, end_id, max_length
        )
        return {"source_ids": source_ids, "target_ids": decoder_in}, decoder_out

    def length(inputs, targets):
        return tf.maximum(
            tf.shape(inputs["source_ids"])[0], tf.shape(targets)[0]
        )

    splits = _batch(_split_map(raw, encode), length, batch_size, max_length, seed)
    return TaskData(
        task="seq2seq",
        **splits,
        vectorizers=dict(vectorizers),
        source_vocabulary_size=source_vec.vocabulary_size(),
        target_vocabulary_size=target_vec.vocabulary_size(),
        start_id=start_id,
        end_id=end_id,
        max_length=max_length,
        info=dict(info or {}, tokens=tokens),
    )


def conditional_generation(raw, *, label_names, string_labels, tokens="word",
                           batch_size=32, max_length=None, max_tokens=None,
                           standardize=None, seed=0, info=None,
                           vectorizers=None):
    """One-to-many generation of a text from its class label.

    Args:
        raw: splits of `(text, label)` pairs, as for `classification`.
        label_names, string_labels, tokens, max_tokens: as for
            `classification`.
        max_length: the longest decoder sequence.
        standardize: word standardization (default `"lower"`).

    Returns:
        `TaskData` of `({"condition": (B,), "target_ids": (B, T)},
        targets (B, T))` batches: `target_ids` is the text after
        `[START]`, `targets` the text followed by `[END]`.
    """
    if standardize is None:
        standardize = vectorize.WORD_STANDARDIZE["conditional_generation"]
    vectorizer = (vectorizers or {}).get("tokens") or vectorize.text_vectorizer(
        raw["train"].map(lambda text, label: text), tokens,
        max_tokens=_max_tokens(tokens, max_tokens), standardize=standardize,
        reserved=vectorize.DECODER_TOKENS, name="tokens",
    )
    start_id, end_id = _decoder_ids(vectorizer)
    vectorizers, to_class_id = _labels(label_names, string_labels)

    def encode(text, label):
        decoder_in, decoder_out = _decoder_pair(
            vectorize.to_ids(vectorizer, text), start_id, end_id, max_length
        )
        inputs = {"condition": to_class_id(label), "target_ids": decoder_in}
        return inputs, decoder_out

    splits = _batch(
        _split_map(raw, encode),
        lambda inputs, targets: tf.shape(targets)[0],
        batch_size, max_length, seed,
    )
    return TaskData(
        task="conditional_generation",
        **splits,
        vectorizers={"tokens": vectorizer, **vectorizers},
        vocabulary_size=vectorizer.vocabulary_size(),
        num_classes=len(label_names),
        label_names=list(label_names),
        start_id=start_id,
        end_id=end_id,
        max_length=max_length,
        info=dict(info or {}, tokens=tokens),
    )


def _decoder_ids(vectorizer):
    words = vectorize.vocabulary(vectorizer)
    return (
        words.index(vectorize.DECODER_TOKENS[0]),
        words.index(vectorize.DECODER_TOKENS[1]),
    )
