"""Greedy search, sampling and beam search on decoders with known odds."""

import keras
import numpy as np
import pytest

from rnnzoo.models import decoding

END = 1
# A Markov decoder with hand-set probabilities. Tokens: 0 pad, 1 end,
# 2 "a", 3 "b", 4 "c". From the start (token 5) greedy takes "a" (0.5), whose
# continuations are all poor; "b" (0.4) then end (0.9) is the likeliest
# sequence: 0.4 * 0.9 = 0.36 against at most 0.5 * 0.4 = 0.2 through "a".
PROBS = np.full((6, 5), 1e-6)
PROBS[5, [2, 3, 4]] = [0.5, 0.4, 0.1]
PROBS[2, [1, 2, 3, 4]] = [0.2, 0.4, 0.2, 0.2]
PROBS[3, [1, 4]] = [0.9, 0.1]
PROBS[4, [1]] = [1.0]
LOGITS = np.log(PROBS / PROBS.sum(1, keepdims=True)).astype("float32")


def markov_step(tokens, state):
    logits = keras.ops.take(keras.ops.convert_to_tensor(LOGITS), tokens, axis=0)
    return logits, state + 1, None


def run(fn, **kwargs):
    start = np.full((2,), 5, "int32")
    tokens, scores, _ = fn(markov_step, np.zeros((2, 1), "float32"), start, **kwargs)
    return keras.ops.convert_to_numpy(tokens), keras.ops.convert_to_numpy(scores)


def test_greedy_misses_the_likeliest_sequence_that_beam_search_finds():
    greedy, greedy_scores = run(decoding.sample, max_length=6, end_id=END)
    beam, beam_scores = run(
        decoding.beam_search, max_length=6, end_id=END, beam_width=3
    )
    np.testing.assert_array_equal(greedy[0], [2, 2, 2, 2, 2, 2])
    np.testing.assert_array_equal(beam[0], [3, 1, 0, 0, 0, 0])
    np.testing.assert_allclose(beam_scores, np.log(0.36), atol=1e-4)
    assert greedy_scores[0] < beam_scores[0]


def test_beam_width_one_equals_greedy():
    greedy = run(decoding.sample, max_length=5, end_id=END)
    beam = run(decoding.beam_search, max_length=5, end_id=END, beam_width=1)
    np.testing.assert_array_equal(greedy[0], beam[0])
    np.testing.assert_allclose(greedy[1], beam[1], atol=1e-5)


def test_sampling_is_reproducible_and_follows_the_odds():
    start = np.full((4000,), 5, "int32")
    state = np.zeros((4000, 1), "float32")
    tokens, _, _ = decoding.sample(
        markov_step, state, start, max_length=1, temperature=1.0, seed=3
    )
    again, _, _ = decoding.sample(
        markov_step, state, start, max_length=1, temperature=1.0, seed=3
    )
    tokens = keras.ops.convert_to_numpy(tokens)[:, 0]
    np.testing.assert_array_equal(tokens, keras.ops.convert_to_numpy(again)[:, 0])
    shares = np.bincount(tokens, minlength=5)[2:5] / 4000
    np.testing.assert_allclose(shares, [0.5, 0.4, 0.1], atol=0.03)
    top1, _, _ = decoding.sample(
        markov_step, state, start, max_length=1, temperature=1.0, top_k=1, seed=3
    )
    assert set(keras.ops.convert_to_numpy(top1)[:, 0]) == {2}


def test_length_penalty_prefers_longer_sequences():
    # With alpha large, "a a ... end" style longer beams win over "b end".
    short, _ = run(decoding.beam_search, max_length=4, end_id=END, beam_width=3)
    long, _ = run(
        decoding.beam_search,
        max_length=4,
        end_id=END,
        beam_width=3,
        length_penalty=5.0,
    )
    assert (short[0] != 0).sum() < (long[0] != 0).sum()


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_bad_max_length_is_refused(bad):
    with pytest.raises(ValueError, match="`max_length`"):
        run(decoding.sample, max_length=bad)


def test_tensor_settings_sample_as_python_settings_do():
    """Settings given as tensors (one per row, as a served `sample` reads
    them) draw what the same Python settings draw: row 0 exactly, every
    row with its own seed alone, whatever its place in the batch."""
    start = np.full((3,), 5, "int32")
    state = np.zeros((3, 1), "float32")
    tensor = lambda values, dtype="int32": keras.ops.convert_to_tensor(values, dtype)  # noqa: E731
    for temperature, top_k in ((1.0, None), (0.7, 2), (0.0, None)):
        expected, _, _ = decoding.sample(markov_step, state, start, max_length=4,
                                         temperature=temperature, top_k=top_k, seed=7)
        found, _, _ = decoding.sample(
            markov_step, state, start, max_length=tensor([4, 4, 4]),
            temperature=tensor([temperature] * 3, "float32"),
            top_k=tensor([top_k or 0] * 3), seed=tensor([7, 7, 7]))
        found = keras.ops.convert_to_numpy(found)
        np.testing.assert_array_equal(found[0], keras.ops.convert_to_numpy(expected)[0])
        assert (found == found[0]).all()  # Same seed, same draw, in any row.
    seeds = tensor([1, 2, 3])
    batch, _, _ = decoding.sample(markov_step, state, start, max_length=tensor([6, 2, 4]),
                                  temperature=tensor([1.0] * 3, "float32"), seed=seeds)
    batch = keras.ops.convert_to_numpy(batch)
    assert batch.shape == (3, 6) and (batch[1, 2:] == 0).all() and (batch[2, 4:] == 0).all()
    alone, _, _ = decoding.sample(markov_step, state[:1], start[:1], max_length=tensor([6]),
                                  temperature=tensor([1.0], "float32"), seed=tensor([2]))
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(alone)[0, :2], batch[1, :2])


def test_tensor_top_k_keeps_the_k_likeliest_per_row():
    start = np.full((3000,), 5, "int32")
    state = np.zeros((3000, 1), "float32")
    k = np.repeat(np.array([1, 2, 0], "int32"), 1000)
    tokens, _, _ = decoding.sample(
        markov_step, state, start, max_length=1, temperature=keras.ops.ones((3000,)),
        top_k=keras.ops.convert_to_tensor(k), seed=keras.ops.arange(3000))
    tokens = keras.ops.convert_to_numpy(tokens)[:, 0]
    assert set(tokens[:1000]) == {2} and set(tokens[1000:2000]) == {2, 3}
    shares = np.bincount(tokens[2000:], minlength=5)[2:5] / 1000
    np.testing.assert_allclose(shares, [0.5, 0.4, 0.1], atol=0.05)
