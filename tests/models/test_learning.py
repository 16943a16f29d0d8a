"""Each pattern model learns a small task to a stated level in seconds."""

import keras
import numpy as np
import pytest

from rnnzoo import models

keras.utils.set_random_seed(0)


def random_ids(n, steps, low=4, high=10, seed=0):
    return np.random.default_rng(seed).integers(low, high, size=(n, steps)).astype("int32")


def test_tagger_learns_to_echo_the_previous_token():
    x = random_ids(512, 8)
    y = np.concatenate([np.zeros((512, 1), "int32"), x[:, :-1]], axis=1)
    model = models.SequenceTagger(cell="gru", units=32, num_tags=10, vocabulary_size=10)
    model.compile(optimizer=keras.optimizers.Adam(0.02))
    model.fit(x, y, epochs=15, batch_size=64, verbose=0)
    accuracy = (model.predict(x, verbose=0).argmax(-1)[:, 1:] == y[:, 1:]).mean()
    assert accuracy >= 0.98


def test_classifier_learns_the_sum_of_a_sequence():
    x = np.random.default_rng(1).uniform(-1, 1, size=(512, 10, 1)).astype("float32")
    y = x.sum(axis=1)
    model = models.SequenceClassifier(cell="lstm", units=32, output_dim=1, input_dim=1)
    model.compile(optimizer=keras.optimizers.Adam(0.01))
    model.fit(x, y, epochs=40, batch_size=64, verbose=0)
    mse = float(((model.predict(x, verbose=0) - y) ** 2).mean())
    assert mse < 0.05 * y.var()


def test_seq2seq_learns_to_reverse():
    source = random_ids(1024, 5)
    target_in = np.concatenate([np.full((1024, 1), 2), source[:, ::-1]], 1)
    target_out = np.concatenate([source[:, ::-1], np.full((1024, 1), 3)], 1)
    model = models.Seq2Seq(
        cell="gru", units=48, source_vocabulary_size=10, target_vocabulary_size=10,
        attention="luong", start_id=2, end_id=3,
    )
    model.compile(optimizer=keras.optimizers.Adam(0.01))
    model.fit(
        {"source_ids": source, "target_ids": target_in}, target_out,
        epochs=25, batch_size=64, verbose=0,
    )
    tokens, _ = model.generate(source[:200], max_length=6)
    exact = (tokens == target_out[:200]).all(axis=1).mean()
    assert exact >= 0.9


def test_generator_learns_to_echo_its_class():
    condition = np.random.default_rng(2).integers(0, 3, size=300).astype("int32")
    word = condition[:, None] + 4
    target_in = np.concatenate([np.full((300, 1), 2), np.repeat(word, 3, 1)], 1)
    target_out = np.concatenate([np.repeat(word, 3, 1), np.full((300, 1), 3)], 1)
    model = models.SequenceGenerator(
        cell="lstm", units=16, vocabulary_size=8, num_conditions=3,
        start_id=2, end_id=3,
    )
    model.compile(optimizer=keras.optimizers.Adam(0.02))
    model.fit(
        {"condition": condition, "target_ids": target_in}, target_out,
        epochs=10, batch_size=32, verbose=0,
    )
    tokens = model.generate(np.array([0, 1, 2]), max_length=6, temperature=0)
    np.testing.assert_array_equal(
        tokens, [[4, 4, 4, 3, 0, 0], [5, 5, 5, 3, 0, 0], [6, 6, 6, 3, 0, 0]]
    )


def test_output_feedback_learns_a_counter_and_runs_free():
    # y_t = y_{t-1} + 1 (cycling 1..9): learnable from the fed-back output.
    start = np.random.default_rng(3).integers(1, 10, size=(256, 1))
    seq = ((start + np.arange(13)) - 1) % 9 + 1
    model = models.OutputFeedbackRNN(units=32, num_classes=10)
    model.compile(optimizer=keras.optimizers.Adam(0.05))
    model.fit(seq[:, :-1], seq[:, 1:], epochs=20, batch_size=64, verbose=0)
    generated = model.generate(np.array([[7]]), max_length=10, temperature=0)
    np.testing.assert_array_equal(generated[0], [8, 9, 1, 2, 3, 4, 5, 6, 7, 8])


def test_bidirectional_tagger_sees_the_future():
    # Tag each step with the *next* token: only the backward direction can.
    x = random_ids(512, 8)
    y = np.concatenate([x[:, 1:], np.zeros((512, 1), "int32")], axis=1)

    def accuracy(bidirectional):
        keras.utils.set_random_seed(1)
        model = models.SequenceTagger(
            cell="gru", units=32, num_tags=10, vocabulary_size=10,
            bidirectional=bidirectional,
        )
        model.compile(optimizer=keras.optimizers.Adam(0.02))
        model.fit(x, y, epochs=10, batch_size=64, verbose=0)
        return (model.predict(x, verbose=0).argmax(-1)[:, :-1] == y[:, :-1]).mean()

    assert accuracy(True) >= 0.95
    assert accuracy(False) <= 0.3  # Chance is 1/6.
