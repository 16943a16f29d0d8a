"""Each cell against a plain NumPy implementation of its equations."""

import functools

import numpy as np
import pytest

from rnnzoo import layers
from tests.gradients import loss_and_gradients
from tests.gradients import numeric_gradient
from tests.layers import numpy_reference as ref

BATCH, TIME, FEATURES, UNITS = 2, 4, 3, 4

CASES = {
    "elman_tanh": (
        lambda: layers.Elman(UNITS),
        ref.elman_step,
    ),
    "elman_relu": (
        lambda: layers.Elman(UNITS, activation="relu"),
        functools.partial(ref.elman_step, activation=lambda z: np.maximum(z, 0)),
    ),
    "jordan": (
        lambda: layers.Jordan(UNITS, output_units=3),
        ref.jordan_step,
    ),
    "lstm": (lambda: layers.LSTM(UNITS), ref.lstm_step),
    "lstm_projection": (
        lambda: layers.LSTM(UNITS, projection_units=2),
        functools.partial(ref.lstm_step, projection=True),
    ),
    "lstm_layer_norm": (
        lambda: layers.LSTM(UNITS, layer_norm=True),
        functools.partial(ref.lstm_step, layer_norm_on=True),
    ),
    "lstm_projection_layer_norm": (
        lambda: layers.LSTM(UNITS, projection_units=3, layer_norm=True),
        functools.partial(ref.lstm_step, layer_norm_on=True, projection=True),
    ),
    "gru": (lambda: layers.GRU(UNITS), ref.gru_step),
    "gru_reset_before": (
        lambda: layers.GRU(UNITS, reset_after=False),
        functools.partial(ref.gru_step, reset_after=False),
    ),
    "gru_layer_norm": (
        lambda: layers.GRU(UNITS, layer_norm=True),
        functools.partial(ref.gru_step, layer_norm_on=True),
    ),
}


def build(name, **layer_kwargs):
    """The layer with fixed random weights, and those weights by name."""
    make_layer, step = CASES[name]
    layer = make_layer()
    config = {**layer.get_config(), **layer_kwargs}
    layer = type(layer).from_config(config)
    layer.build((BATCH, TIME, FEATURES))
    rng = np.random.default_rng(42)
    weights = {}
    for variable in layer.weights:
        value = rng.normal(scale=0.5, size=variable.shape)
        if "gamma" in variable.name:
            value = 1.0 + 0.2 * value
        variable.assign(value.astype("float32"))
        weights[variable.name] = value
    return layer, weights, step


def inputs_and_mask():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(BATCH, TIME, FEATURES))
    mask = np.ones((BATCH, TIME), dtype=bool)
    mask[0, 2:] = False  # right padding
    mask[1, 1] = False  # a hole
    return x, mask


def numpy_outputs(step, weights, x, layer, mask=None, go_backwards=False):
    states = [np.zeros((BATCH, size)) for size in layer.state_size]
    outputs, states = ref.run(
        lambda xt, s: step(weights, xt, s), x, states, mask, go_backwards
    )
    return [outputs, *states]


def numpy_loss(outputs):
    rng = np.random.default_rng(0)  # the `R` of `weighted_sum`
    return sum(float((o * rng.normal(size=o.shape)).sum()) for o in outputs)


@pytest.mark.parametrize("masked", [False, True], ids=["", "masked"])
@pytest.mark.parametrize("go_backwards", [False, True], ids=["", "backwards"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_forward_and_gradients_match_numpy(name, go_backwards, masked):
    layer, weights, step = build(
        name, return_sequences=True, return_state=True, go_backwards=go_backwards
    )
    x, mask = inputs_and_mask()
    mask = mask if masked else None
    call_kwargs = {"mask": mask} if masked else {}
    outputs, grad_x, grad_w = loss_and_gradients(layer, x, **call_kwargs)

    expected = numpy_outputs(step, weights, x, layer, mask, go_backwards)
    for got, want in zip(outputs, expected):
        np.testing.assert_allclose(got, want, atol=1e-5, rtol=1e-5)

    def loss_of(name_or_x, value):
        values = dict(weights)
        inputs = x
        if name_or_x is None:
            inputs = value
        else:
            values[name_or_x] = value
        return numpy_loss(
            numpy_outputs(step, values, inputs, layer, mask, go_backwards)
        )

    want_x = numeric_gradient(lambda v: loss_of(None, v), x)
    np.testing.assert_allclose(grad_x, want_x, atol=1e-5, rtol=1e-5)
    for variable, got in zip(layer.trainable_weights, grad_w):
        want = numeric_gradient(
            functools.partial(loss_of, variable.name), weights[variable.name]
        )
        np.testing.assert_allclose(
            got, want, atol=1e-5, rtol=1e-5, err_msg=variable.name
        )


def test_elman_gradients_match_hand_written_backpropagation():
    layer, weights, _ = build("elman_tanh", return_sequences=True)
    x, _ = inputs_and_mask()
    outputs, grad_x, grad_w = loss_and_gradients(layer, x)
    upstream = np.random.default_rng(0).normal(size=outputs.shape)
    want_x, want_w = ref.elman_gradients(
        weights, x, np.zeros((BATCH, UNITS)), upstream
    )
    np.testing.assert_allclose(grad_x, want_x, atol=1e-5, rtol=1e-5)
    for variable, got in zip(layer.trainable_weights, grad_w):
        np.testing.assert_allclose(
            got, want_w[variable.name], atol=1e-5, rtol=1e-5
        )
