"""Held-out metrics: BLEU against hand-computed values, exact match and the
decoding calls of `seq2seq_metrics`."""

import math
import types

import numpy as np
import pytest
import tensorflow as tf

from rnnzoo import evaluation


def test_bleu_of_a_perfect_translation_is_100():
    words = "the cat sat on the mat".split()
    assert evaluation.corpus_bleu([words], [words]) == pytest.approx(100.0)


def test_bleu_clips_repeated_ngrams():
    # Clipped precisions 5/7 (unigrams), 3/6, 1/5; the hypothesis is longer
    # than the reference, so there is no brevity penalty.
    reference = "the cat is on the mat".split()
    hypothesis = "the cat the cat on the mat".split()
    expected = 100 * (5 / 7 * 3 / 6 * 1 / 5) ** (1 / 3)
    got = evaluation.corpus_bleu([reference], [hypothesis], max_order=3)
    assert got == pytest.approx(expected, rel=1e-12)


def test_bleu_brevity_penalty():
    reference = "a b c d e f g h".split()
    # Every n-gram of the half-length hypothesis matches: only the penalty
    # exp(1 - 8 / 4) remains.
    got = evaluation.corpus_bleu([reference], [reference[:4]])
    assert got == pytest.approx(100 * math.exp(-1.0), rel=1e-12)


def test_bleu_sums_counts_over_the_corpus():
    references = ["a b c d".split(), "e f".split()]
    hypotheses = ["a b c d".split(), "e g".split()]
    # Unigrams 5/6, bigrams 3/4, trigrams 2/2, 4-grams 1/1 over both pairs;
    # a sentence-level average would be 0 for the second pair.
    expected = 100 * (5 / 6 * 3 / 4) ** (1 / 4)
    assert evaluation.corpus_bleu(references, hypotheses) == pytest.approx(expected)


def test_bleu_without_any_4gram_match_is_0():
    assert evaluation.corpus_bleu([["a", "b", "c"]], [["a", "b", "c"]]) == 0.0


def test_until_end_and_detokenize():
    words = ["", "[UNK]", "<s>", "</s>", "h", "i"]
    assert evaluation.until_end([4, 5, 3, 4, 0], end_id=3) == [4, 5]
    assert evaluation.until_end([4, 0, 5], end_id=3) == [4]
    assert evaluation.detokenize([4, 0, 5, 9, 3, 4], words, end_id=3) == "hi[UNK]"


class _Vocabulary:
    def __init__(self, words):
        self.words = words

    def get_vocabulary(self):
        return self.words


class _EchoModel:
    """Answers each source with itself, and records its decoding calls."""

    def __init__(self):
        self.calls = []

    def generate(self, source_ids, max_length, **kwargs):
        self.calls.append(dict(kwargs, max_length=max_length))
        tokens = np.zeros((len(source_ids), max_length), "int64")
        tokens[:, : source_ids.shape[1]] = source_ids[:, :max_length]
        return tokens, np.zeros(len(source_ids))


def test_seq2seq_metrics_decode_every_batch_to_the_same_length():
    words = ["", "[UNK]", "<s>", "</s>", "a", "b", "c"]
    sources = [[4, 5, 3], [6, 3, 0], [4, 3, 0], [5, 6, 4]]
    targets = [[4, 5, 3], [6, 3, 0], [5, 3, 0], [5, 6, 4]]  # Third differs.
    batches = [
        ({"source_ids": tf.constant(sources[:2])}, tf.constant(targets[:2])),
        # A batch padded shorter: its length must not change max_length.
        ({"source_ids": tf.constant([s[:2] for s in sources[2:]])},
         tf.constant([t[:2] for t in targets[2:]])),
    ]
    task_data = types.SimpleNamespace(
        vectorizers={"target": _Vocabulary(words)}, info={"tokens": "word"},
        end_id=3, test=batches,
    )
    settings = {"eval_examples": 10, "max_decode_length": 20, "decode_method": "beam",
                "beam_width": 2, "length_penalty": 0.5}
    model = _EchoModel()
    result = evaluation.seq2seq_metrics(
        model, task_data, settings, wanted=("exact_match", "bleu")
    )
    assert result["decoded_examples"] == 4
    assert result["exact_match"] == pytest.approx(3 / 4)
    assert [c["max_length"] for c in model.calls] == [20, 20]
    assert all(c["method"] == "beam" and c["beam_width"] == 2
               and c["length_penalty"] == 0.5 for c in model.calls)
