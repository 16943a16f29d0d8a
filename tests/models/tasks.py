"""Tiny data for every pattern model, for tests."""

import numpy as np

from rnnzoo.models import OutputFeedbackRNN
from rnnzoo.models import Seq2Seq
from rnnzoo.models import SequenceClassifier
from rnnzoo.models import SequenceGenerator
from rnnzoo.models import SequenceTagger

VOCAB = 12


def data_sizes(model_class, preset):
    """Constructor arguments that fit the tiny batches of `batch_for`."""
    if model_class is SequenceTagger:
        return {"vocabulary_size": VOCAB, "num_tags": 5}
    if model_class is SequenceClassifier:
        return {"vocabulary_size": VOCAB, "num_classes": 3}
    if model_class is OutputFeedbackRNN:
        return {"num_classes": VOCAB}
    if model_class is Seq2Seq:
        return {
            "source_vocabulary_size": VOCAB,
            "target_vocabulary_size": VOCAB,
            "start_id": 2,
            "end_id": 3,
        }
    if model_class is SequenceGenerator:
        return {"vocabulary_size": VOCAB, "num_conditions": 2, "start_id": 2, "end_id": 3}
    raise AssertionError(model_class)


def batch_for(model_class, batch=4, steps=6, seed=0):
    """`(inputs, targets)` for one training step, right-padded with 0."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(4, VOCAB, size=(batch, steps)).astype("int32")
    ids[0, steps - 2 :] = 0
    if model_class is SequenceTagger:
        return ids, np.where(ids > 0, ids % 5, 0)
    if model_class is SequenceClassifier:
        return ids, rng.integers(0, 3, size=(batch,))
    if model_class is OutputFeedbackRNN:
        return ids, np.where(ids > 0, np.roll(ids, -1, axis=1), 0)
    if model_class is Seq2Seq:
        return {"source_ids": ids, "target_ids": ids}, ids
    if model_class is SequenceGenerator:
        condition = rng.integers(0, 2, size=(batch,)).astype("int32")
        return {"condition": condition, "target_ids": ids}, ids
    raise AssertionError(model_class)
