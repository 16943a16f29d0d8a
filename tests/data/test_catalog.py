"""Catalog pipelines under `tfds.testing.mock_data`, and their smoke data."""

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from rnnzoo import data
from rnnzoo.data import catalog


def _rows_are_right_padded(ids):
    """Every row: non-zero ids, then zeros; the batch is as long as its longest row."""
    ids = np.asarray(ids)
    lengths = (ids != 0).sum(axis=1)
    for row, length in zip(ids, lengths):
        assert (row[:length] != 0).all() and (row[length:] == 0).all()
    assert lengths.max() == ids.shape[1]
    return lengths


def test_imdb_reviews_under_mock_data():
    with tfds.testing.mock_data(num_examples=40):
        task = data.load("imdb_reviews", batch_size=8)
    assert task.task == "classification"
    assert task.label_names == ["neg", "pos"] and task.num_classes == 2
    assert task.info["tfds_splits"]["validation"] == "train[90%:]"
    for inputs, labels in task.train.take(3):
        assert set(inputs) == {"token_ids"}
        assert inputs["token_ids"].dtype == tf.int32
        _rows_are_right_padded(inputs["token_ids"])
        assert labels.dtype == tf.int32 and labels.shape.rank == 1
        assert set(labels.numpy()) <= {0, 1}
    assert task.vectorizers["tokens"].get_vocabulary()[:2] == ["", "[UNK]"]


def test_imdb_reviews_conditional_generation_under_mock_data():
    with tfds.testing.mock_data(num_examples=20):
        task = data.load("imdb_reviews", task="conditional_generation",
                         batch_size=4, max_length=6)
    assert task.task == "conditional_generation"
    inputs, targets = next(iter(task.train))
    assert inputs["condition"].shape == (4,) and inputs["condition"].dtype == tf.int32
    target_ids, targets = inputs["target_ids"].numpy(), targets.numpy()
    assert target_ids.shape == targets.shape and target_ids.shape[1] <= 6
    assert (target_ids[:, 0] == task.start_id).all()
    # targets are target_ids shifted left by one, closed by [END].
    for row_in, row_out in zip(target_ids, targets):
        n = (row_out != 0).sum()
        assert row_out[n - 1] == task.end_id
        assert (row_in[1:n] == row_out[: n - 1]).all()


def test_tiny_shakespeare_under_mock_data():
    with tfds.testing.mock_data(num_examples=10):
        task = data.load("tiny_shakespeare", batch_size=4, max_length=8)
    assert task.task == "language_model" and task.max_length == 8
    inputs, targets = next(iter(task.train))
    assert inputs["token_ids"].shape == targets.shape == (4, 8)
    assert task.info["tokens"] == "char"


def test_ted_translate_under_mock_data():
    with tfds.testing.mock_data(num_examples=30):
        task = data.load("ted_hrlr_translate/pt_to_en", batch_size=5)
    assert task.task == "seq2seq"
    inputs, targets = next(iter(task.train))
    _rows_are_right_padded(inputs["source_ids"])
    lengths = _rows_are_right_padded(targets)
    assert inputs["target_ids"].shape == targets.shape
    assert (inputs["target_ids"].numpy()[:, 0] == task.start_id).all()
    ends = targets.numpy()[np.arange(len(lengths)), lengths - 1]
    assert (ends == task.end_id).all()


def _conll_as_dataset(self, split, decoders=None, read_config=None, **kwargs):
    # Mocked conll2003 records whose tokens and tags have equal lengths
    # (the default mock draws their lengths independently). "I-LOC" after
    # "O" is IOB1 and must come out as "B-LOC".
    del self, decoders, read_config, kwargs
    tokens = [["EU", "rejects", "German", "call"], ["Peter", "Blackburn"],
              ["in", "Paris"]] * 4
    tags = [[3, 0, 7, 0], [1, 2], [0, 6]] * 4  # I-LOC (6) right after O
    return tf.data.Dataset.from_tensor_slices({
        "tokens": tf.ragged.constant(tokens),
        "ner": tf.ragged.constant(tags, dtype=tf.int64),
        "pos": tf.ragged.constant([[0] * len(t) for t in tokens], tf.int64),
        "chunks": tf.ragged.constant([[0] * len(t) for t in tokens], tf.int64),
    }).map(lambda ex: {k: v.to_tensor() if isinstance(v, tf.RaggedTensor) else v
                       for k, v in ex.items()})


def test_conll2003_under_mock_data_gives_iob2_tags():
    with tfds.testing.mock_data(as_dataset_fn=_conll_as_dataset):
        task = data.load("conll2003", batch_size=3)
    assert task.task == "tagging" and task.num_tags == 9
    assert task.label_names[:3] == ["O", "B-PER", "I-PER"]
    inputs, tags = next(iter(task.test))
    names = task.label_names
    decoded = data.tags_from_ids(tags, inputs["token_ids"], names)
    assert decoded == [["B-ORG", "O", "B-MISC", "O"], ["B-PER", "I-PER"],
                       ["O", "B-LOC"]]
    assert inputs["token_ids"].numpy()[1].tolist()[2:] == [0, 0]
    assert tags.numpy()[1].tolist()[2:] == [0, 0]


def test_to_iob2():
    tags = tf.constant(["I-PER", "I-PER", "O", "I-LOC", "B-LOC", "I-ORG",
                        "B-MISC", "I-MISC"])
    assert data.tagging.to_iob2(tags).numpy().tolist() == [
        b"B-PER", b"I-PER", b"O", b"B-LOC", b"B-LOC", b"B-ORG", b"B-MISC",
        b"I-MISC",
    ]
    assert data.tagging.to_iob2(tf.constant([], tf.string)).shape == (0,)


@pytest.mark.parametrize("name", sorted(catalog.CATALOG))
def test_smoke_needs_no_download(name, tmp_path):
    task = data.load(name, smoke=True, batch_size=8, max_length=12,
                     data_dir=str(tmp_path))
    assert task.info["source"] == "synthetic smoke records"
    assert not any(tmp_path.iterdir())
    for split in (task.train, task.validation, task.test):
        inputs, targets = next(iter(split))
        for value in inputs.values():
            assert value.dtype in (tf.int32, tf.float32)
        assert targets.shape[0] == next(iter(inputs.values())).shape[0]


def test_catalog_rejects_wrong_task_and_settings():
    with pytest.raises(ValueError, match="serves"):
        data.load("conll2003", task="seq2seq", smoke=True)
    with pytest.raises(ValueError, match="pre-tokenized"):
        data.load("conll2003", tokens="char", smoke=True)
    with pytest.raises(ValueError, match="Unknown setting"):
        data.load("imdb_reviews", digits=3, smoke=True)
