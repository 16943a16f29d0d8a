"""`accuracy` and `cross_entropy` of the sequence models are means over
every real token of a pass, as a served model's `score` endpoint counts."""

import keras
import numpy as np
import pytest

from rnnzoo.models import SequenceGenerator


def reference(model, x, y):
    """NumPy token means of `(x, y)`: log-softmax of the logits, masked."""
    logits = np.asarray(model(x), "float64")
    log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    mask = y > 0
    picked = np.take_along_axis(log_probs, y[..., None], -1)[..., 0]
    return {"cross_entropy": -picked[mask].mean(),
            "accuracy": (log_probs.argmax(-1) == y)[mask].mean()}


def test_token_means_over_batches_of_unequal_lengths():
    keras.utils.set_random_seed(0)
    model = SequenceGenerator(cell="gru", units=8, vocabulary_size=12, num_conditions=2,
                              start_id=2, end_id=3)
    rng = np.random.default_rng(0)
    logits = model.get_layer("logits")
    logits.bias.assign(rng.normal(0.0, 3.0, 12))  # Per-token values far apart.
    model.compile()
    lengths = np.array([1, 7, 2, 9, 3, 1, 8])
    y = np.zeros((len(lengths), 10), "int64")
    for row, n in enumerate(lengths):
        y[row, :n] = rng.integers(4, 12, n)
        y[row, n] = 3
    target_ids = np.concatenate([np.full((len(y), 1), 2), y[:, :-1]], 1) * (y > 0)
    x = {"condition": rng.integers(0, 2, len(y)), "target_ids": target_ids}
    found = model.evaluate(x, y, batch_size=3, verbose=0, return_dict=True)
    expected = reference(model, x, y)
    assert found["cross_entropy"] == pytest.approx(expected["cross_entropy"], abs=1e-5)
    assert found["accuracy"] == pytest.approx(expected["accuracy"], abs=1e-6)
    # Keras's `loss` is the mean of its batches' means: another number here.
    assert abs(found["loss"] - expected["cross_entropy"]) > 1e-2
