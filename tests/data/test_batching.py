"""Bucketing and padding, and the vocabulary rules of the vectorizers."""

import numpy as np
import pytest
import tensorflow as tf

from rnnzoo.data import batching
from rnnzoo.data import vectorize


def test_bucket_boundaries():
    assert batching.bucket_boundaries(40) == [8, 12, 16, 24, 32]
    assert batching.bucket_boundaries(8) == []
    assert batching.bucket_boundaries()[-1] == 768


def test_each_batch_is_padded_to_its_own_longest_sequence():
    lengths = [3, 30, 4, 31, 2, 29, 5, 28]
    ds = tf.data.Dataset.from_generator(
        lambda: (({"token_ids": np.arange(1, n + 1, dtype=np.int32)},
                  np.full([n], 7, np.int32)) for n in lengths),
        output_signature=({"token_ids": tf.TensorSpec([None], tf.int32)},
                          tf.TensorSpec([None], tf.int32)),
    )
    batches = batching.batch_by_length(
        ds, lambda x, y: tf.shape(y)[0], batch_size=4, max_length=64
    )
    seen = []
    for inputs, targets in batches:
        ids, targets = inputs["token_ids"].numpy(), targets.numpy()
        row_lengths = (ids != 0).sum(axis=1)
        # Short and long sequences land in different buckets...
        assert row_lengths.max() < 8 or row_lengths.min() >= 24
        # ...and a batch is exactly as long as its longest sequence.
        assert ids.shape[1] == row_lengths.max()
        for row, n in zip(ids, row_lengths):
            assert row[:n].tolist() == list(range(1, n + 1))
        assert ((targets == 7) == (ids != 0)).all()
        seen.extend(row_lengths.tolist())
    assert sorted(seen) == sorted(lengths)


def test_text_vectorizer_reserved_and_max_tokens():
    texts = tf.data.Dataset.from_tensor_slices(["b a a", "c a b"])
    layer = vectorize.text_vectorizer(texts, "word", max_tokens=5,
                                      reserved=vectorize.DECODER_TOKENS)
    assert layer.get_vocabulary() == ["", "[UNK]", "[START]", "[END]", "a"]
    assert layer(["a c"]).numpy().tolist() == [[4, 1]]
    chars = vectorize.text_vectorizer(texts, "char")
    assert chars.get_vocabulary()[:4] == ["", "[UNK]", " ", "a"]  # 4 spaces, 3 a
    with pytest.raises(ValueError, match="max_tokens"):
        vectorize.text_vectorizer(texts, "word", max_tokens=4,
                                  reserved=vectorize.DECODER_TOKENS)
    with pytest.raises(ValueError, match="tokens"):
        vectorize.text_vectorizer(texts, "subword")


def test_vectorizer_config_round_trip():
    texts = tf.data.Dataset.from_tensor_slices(["x y", "y z"])
    layer = vectorize.text_vectorizer(texts, "word", name="tokens")
    clone = type(layer).from_config(layer.get_config())
    assert clone(["z y q"]).numpy().tolist() == layer(["z y q"]).numpy().tolist()
