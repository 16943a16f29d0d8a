"""Tagging pipeline: one tag per token (NER, POS, chunking)."""

import tensorflow as tf

from rnnzoo.data import batching
from rnnzoo.data import vectorize
from rnnzoo.data.task_data import TaskData

DEFAULT_MAX_TOKENS = 30_000


def order_tags(tags):
    """Sorted tag names with `"O"` first, so that padding (0) reads `"O"`."""
    tags = sorted(set(tags))
    if "O" in tags:
        tags.remove("O")
        tags.insert(0, "O")
    return tags


def to_iob2(tags):
    """Rewrites IOB1 tags as IOB2, in TensorFlow (1-D string tensor).

    An `I-X` that opens an entity (at the start, after `O`, or after a tag
    of another type) becomes `B-X`; every other tag is unchanged, so IOB2
    input comes out as it went in.
    """
    tags = tf.convert_to_tensor(tags, tf.string)
    types = tf.strings.regex_replace(tags, r"^[BI]-", "")
    previous = tf.concat([tf.constant(["O"]), tags], 0)[:-1]
    previous_types = tf.strings.regex_replace(previous, r"^[BI]-", "")
    opens = tf.logical_and(
        tf.strings.regex_full_match(tags, r"I-.*"),
        tf.logical_or(tf.equal(previous, "O"),
                      tf.not_equal(previous_types, types)),
    )
    return tf.where(opens, tf.strings.join(["B-", types]), tags)


def tagging(raw, *, tag_names, batch_size=32, max_length=None,
            max_tokens=None, seed=0, info=None):
    """Tagging: `(tokens, tags)` pairs of 1-D string tensors.

    Tokens are looked up as they are (case kept) in a vocabulary learned on
    the training tokens; tags through a `"tags"` `StringLookup` over
    `tag_names`. Sentences without tokens are dropped.

    Args:
        raw: splits of `(tokens, tags)` pairs, tensors of equal length.
        tag_names: every tag, index = tag id (see `order_tags`).
        max_length: keep the first `max_length` tokens of a sentence.
        max_tokens: the largest token vocabulary (default 30,000).

    Returns:
        `TaskData` of `({"token_ids": (B, T)}, tag_ids (B, T))` batches.
        Padding positions hold token id 0 and tag id 0; the tag id 0 is also
        a real tag (`"O"` where present), so mask with `token_ids != 0`, as
        `Embedding(mask_zero=True)` does.
    """
    raw = {
        split: ds.filter(lambda tokens, tags: tf.size(tokens) > 0)
        for split, ds in raw.items()
    }
    vectorizer = vectorize.token_lookup(
        raw["train"].map(lambda tokens, tags: tokens),
        max_tokens=DEFAULT_MAX_TOKENS if max_tokens is None else max_tokens,
        name="tokens",
    )
    tag_lookup = vectorize.label_lookup(tag_names, name="tags")

    def encode(tokens, tags):
        if max_length is not None:
            tokens, tags = tokens[:max_length], tags[:max_length]
        ids = vectorize.to_ids(vectorizer, tokens)
        return {"token_ids": ids}, tf.cast(tag_lookup(tags), tf.int32)

    splits = {
        split: batching.batch_by_length(
            ds.map(encode, num_parallel_calls=tf.data.AUTOTUNE),
            lambda inputs, tags: tf.shape(tags)[0],
            batch_size, max_length=max_length,
            shuffle=split == "train", seed=seed,
        )
        for split, ds in raw.items()
    }
    return TaskData(
        task="tagging",
        **splits,
        vectorizers={"tokens": vectorizer, "tags": tag_lookup},
        vocabulary_size=vectorizer.vocabulary_size(),
        num_tags=len(tag_names),
        label_names=list(tag_names),
        max_length=max_length,
        info=dict(info or {}),
    )
