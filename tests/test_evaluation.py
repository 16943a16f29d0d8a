"""Held-out metrics: BLEU against hand-computed values, exact match and the
decoding calls of `seq2seq_metrics`."""

import types

import numpy as np
import pytest
import tensorflow as tf

from rnnzoo.train import evaluation


def test_translation_scores_are_sacrebleus():
    import sacrebleu

    references = ["the cat sat on the mat", "a dog barks", "il fait beau"]
    hypotheses = ["the cat sat on a mat", "a dog barks", "il fait chaud"]
    scores = evaluation.translation_scores(references, hypotheses)
    assert scores["bleu"] == sacrebleu.corpus_bleu(hypotheses, [references]).score
    assert scores["chrf"] == sacrebleu.corpus_chrf(hypotheses, [references]).score
    assert evaluation.translation_scores(references, references)["bleu"] == pytest.approx(100.0)


def test_until_end_and_detokenize():
    words = ["", "[UNK]", "<s>", "</s>", "h", "i"]
    assert evaluation.until_end([4, 5, 3, 4, 0], end_id=3) == [4, 5]
    assert evaluation.until_end([4, 0, 5], end_id=3) == [4]
    # Special tokens ([UNK], padding, unknown ids) never reach the text.
    assert evaluation.detokenize([4, 0, 5, 1, 9, 3, 4], words, end_id=3) == "hi"


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
    settings = {"eval_examples": 10, "max_new_tokens": 20, "decode_method": "beam",
                "beam_width": 2, "length_penalty": 0.5}
    model = _EchoModel()
    result = evaluation.seq2seq_metrics(
        model, task_data, settings, wanted=("exact_match", "bleu")
    )
    assert result["bleu"] == evaluation.translation_scores(
        ["a b", "c", "b", "b c"], ["a b", "c", "a", "b c"])["bleu"]
    assert result["decoded_examples"] == 4
    assert result["exact_match"] == pytest.approx(3 / 4)
    assert [c["max_length"] for c in model.calls] == [20, 20]
    assert all(c["method"] == "beam" and c["beam_width"] == 2
               and c["length_penalty"] == 0.5 for c in model.calls)
