"""rnnzoo layers against their stock Keras twins, with copied weights."""

import inspect

import keras
import numpy as np
import pytest

from rnnzoo import layers
from tests.gradients import loss_and_gradients

UNITS = 5
PAIRS = {
    "elman": (layers.Elman, keras.layers.SimpleRNN, {}),
    "lstm": (layers.LSTM, keras.layers.LSTM, {}),
    "gru": (layers.GRU, keras.layers.GRU, {}),
    "gru_reset_before": (layers.GRU, keras.layers.GRU, {"reset_after": False}),
}


def inputs_and_mask():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(3, 6, 4)).astype("float32")
    mask = np.ones((3, 6), dtype=bool)
    mask[0, 4:] = False
    mask[1, 2:] = False
    return x, mask


def twin_pair(name, **kwargs):
    ours_class, stock_class, extra = PAIRS[name]
    ours = ours_class(UNITS, **extra, **kwargs)
    stock = stock_class(UNITS, **extra, **kwargs)
    return ours, stock


def copy_weights(ours, stock, shape):
    ours.build(shape)
    stock.build(shape)
    rng = np.random.default_rng(11)
    weights = [rng.normal(scale=0.4, size=w.shape) for w in stock.get_weights()]
    stock.set_weights(weights)
    ours.set_weights(weights)


def assert_same(a, b):
    a = a if isinstance(a, (list, tuple)) else [a]
    b = b if isinstance(b, (list, tuple)) else [b]
    assert len(a) == len(b)
    for x, y in zip(a, b):
        np.testing.assert_allclose(x, y, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("masked", [False, True], ids=["", "masked"])
@pytest.mark.parametrize("go_backwards", [False, True], ids=["", "backwards"])
@pytest.mark.parametrize("name", sorted(PAIRS))
def test_outputs_states_and_gradients_match_stock(name, go_backwards, masked):
    x, mask = inputs_and_mask()
    ours, stock = twin_pair(
        name, return_sequences=True, return_state=True, go_backwards=go_backwards
    )
    copy_weights(ours, stock, x.shape)
    kwargs = {"mask": mask} if masked else {}
    got = loss_and_gradients(ours, x, **kwargs)
    want = loss_and_gradients(stock, x, **kwargs)
    assert_same(got[0], want[0])  # outputs and final states
    assert_same(got[1], want[1])  # d/d inputs
    assert_same(got[2], want[2])  # d/d weights


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_bidirectional_matches_stock(name):
    x, mask = inputs_and_mask()
    ours, stock = twin_pair(name, return_sequences=True)
    ours = keras.layers.Bidirectional(ours)
    stock = keras.layers.Bidirectional(stock)
    copy_weights(ours, stock, x.shape)
    got = loss_and_gradients(ours, x, mask=mask)
    want = loss_and_gradients(stock, x, mask=mask)
    for g, w in zip(got, want):
        assert_same(g, w)


def test_initial_state_matches_stock():
    x, _ = inputs_and_mask()
    ours, stock = twin_pair("lstm", return_state=True)
    copy_weights(ours, stock, x.shape)
    rng = np.random.default_rng(5)
    state = [rng.normal(size=(3, UNITS)).astype("float32") for _ in range(2)]
    assert_same(
        [keras.ops.convert_to_numpy(t) for t in ours(x, initial_state=state)],
        [keras.ops.convert_to_numpy(t) for t in stock(x, initial_state=state)],
    )


STOCK_VALUES = {
    "activation": "relu",
    "recurrent_activation": "hard_sigmoid",
    "use_bias": False,
    "kernel_initializer": "he_normal",
    "recurrent_initializer": "glorot_normal",
    "bias_initializer": "ones",
    "unit_forget_bias": False,
    "kernel_regularizer": "l2",
    "recurrent_regularizer": "l1",
    "bias_regularizer": "l1l2",
    "activity_regularizer": "l2",
    "kernel_constraint": "non_neg",
    "recurrent_constraint": "unit_norm",
    "bias_constraint": "max_norm",
    "dropout": 0.25,
    "recurrent_dropout": 0.5,
    "seed": 17,
    "return_sequences": True,
    "return_state": True,
    "go_backwards": True,
    "stateful": True,
    "unroll": True,
    "reset_after": False,
    "use_cudnn": False,
}


@pytest.mark.parametrize("name", ["elman", "lstm", "gru"])
def test_accepts_every_stock_argument_with_the_same_meaning(name):
    ours_class, stock_class, _ = PAIRS[name]
    params = inspect.signature(stock_class.__init__).parameters
    kwargs = {
        k: STOCK_VALUES[k]
        for k, p in params.items()
        if k not in ("self", "units", "kwargs")
    }
    missing = set(kwargs) - set(STOCK_VALUES)
    assert not missing, f"the test needs values for {missing}"
    ours = ours_class(UNITS, **kwargs).get_config()
    stock = stock_class(UNITS, **kwargs).get_config()
    # Stock SimpleRNN forgets its activity regularizer in its config.
    stock["activity_regularizer"] = keras.regularizers.serialize(
        keras.regularizers.get("l2")
    )
    for key, value in stock.items():
        if key != "name":
            assert ours[key] == value, key
    if "use_cudnn" in kwargs:  # Kept by rnnzoo, dropped by stock Keras.
        assert ours["use_cudnn"] is False
