"""Masking, state, dropout, stacking, saving and argument checks."""

import keras
import numpy as np
import pytest

from rnnzoo import layers

FACTORIES = {
    "elman": lambda **kw: layers.Elman(6, **kw),
    "jordan": lambda **kw: layers.Jordan(6, output_units=3, **kw),
    "lstm": lambda **kw: layers.LSTM(6, **kw),
    "lstm_projection_layer_norm": lambda **kw: layers.LSTM(
        6, projection_units=4, layer_norm=True, **kw
    ),
    "gru": lambda **kw: layers.GRU(6, **kw),
    "gru_layer_norm": lambda **kw: layers.GRU(6, layer_norm=True, **kw),
}
NAMES = sorted(FACTORIES)


def numpy(x):
    if isinstance(x, (list, tuple)):
        return [keras.ops.convert_to_numpy(t) for t in x]
    return keras.ops.convert_to_numpy(x)


def sequences(batch=3, time=7, features=4, seed=0):
    return np.random.default_rng(seed).normal(size=(batch, time, features)).astype(
        "float32"
    )


@pytest.mark.parametrize("name", NAMES)
def test_padded_batch_equals_each_sequence_alone(name):
    keras.utils.set_random_seed(0)
    lengths = [7, 4, 2]
    x = sequences()
    ids = np.zeros((3, 7), dtype="int32")
    for i, n in enumerate(lengths):
        ids[i, :n] = 1
    layer = FACTORIES[name](return_sequences=True, return_state=True)
    batch = numpy(layer(x, mask=ids.astype(bool)))
    # float32: a batched matmul may round differently from a one-row one
    # (seen on JAX, through layer norm: 1.5e-6 on 0.57).
    close = dict(rtol=1e-5, atol=1e-6)
    for i, n in enumerate(lengths):
        alone = numpy(layer(x[i : i + 1, :n]))
        np.testing.assert_allclose(batch[0][i, :n], alone[0][0], **close)
        # Masked steps repeat the last real output; states stop there.
        np.testing.assert_allclose(
            batch[0][i, n:], np.repeat(alone[0][:, -1], 7 - n, 0), **close
        )
        for got, want in zip(batch[1:], alone[1:]):
            np.testing.assert_allclose(got[i], want[0], **close)


@pytest.mark.parametrize("name", NAMES)
def test_stateful_halves_equal_the_whole_sequence(name):
    x = sequences(batch=2, time=8)
    whole = FACTORIES[name](return_sequences=True)
    expected = numpy(whole(x))
    inputs = keras.Input(batch_shape=(2, 4, 4))
    stateful = FACTORIES[name](return_sequences=True, stateful=True)
    model = keras.Model(inputs, stateful(inputs))
    stateful.set_weights(whole.get_weights())
    # Direct calls: on JAX, stock Keras's `predict` does not keep the
    # updated states of stateful layers (stock SimpleRNN does the same).
    first = numpy(model(x[:, :4]))
    second = numpy(model(x[:, 4:]))
    np.testing.assert_allclose(
        np.concatenate([first, second], axis=1), expected, atol=1e-5
    )
    stateful.reset_state()
    np.testing.assert_allclose(numpy(model(x[:, :4])), first, atol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_unrolled_equals_loop(name):
    x = sequences()
    loop = FACTORIES[name](return_sequences=True)
    unrolled = FACTORIES[name](return_sequences=True, unroll=True)
    expected = numpy(loop(x))
    unrolled.build(x.shape)
    unrolled.set_weights(loop.get_weights())
    np.testing.assert_allclose(numpy(unrolled(x)), expected, atol=1e-5)


@pytest.mark.parametrize("name", NAMES)
def test_stacked_bidirectional_model_trains(name):
    inputs = keras.Input((None, 4))
    hidden = keras.layers.Bidirectional(FACTORIES[name](return_sequences=True))(
        inputs
    )
    outputs = FACTORIES[name]()(hidden)
    model = keras.Model(inputs, keras.layers.Dense(1)(outputs))
    # Three steps of one batch: eager, as tracing or compiling would dominate.
    model.compile("adam", "mse", run_eagerly=True)
    x, y = sequences(batch=8), np.ones((8, 1), "float32")
    history = model.fit(x, y, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


@pytest.mark.parametrize("name", NAMES)
def test_dropout_mask_is_the_same_at_every_step(name):
    # One input feature, all ones, rate 0.5: with one mask per sequence each
    # sample sees either all zeros or all twos, never a mix of the two.
    layer = FACTORIES[name](return_sequences=True, dropout=0.5, seed=1)
    x = np.ones((16, 6, 1), "float32")
    train = numpy(layer(x, training=True))
    zeros, twos = numpy(layer(0 * x)), numpy(layer(2 * x))
    for i in range(16):
        assert np.allclose(train[i], zeros[i], atol=1e-6) or np.allclose(
            train[i], twos[i], atol=1e-6
        ), f"sample {i} mixes masks"
    assert not np.allclose(train, zeros) and not np.allclose(train, twos)


@pytest.mark.parametrize("name", NAMES)
def test_dropout_only_in_training(name):
    layer = FACTORIES[name](dropout=0.3, recurrent_dropout=0.3, seed=2)
    x = sequences()
    a, b = numpy(layer(x)), numpy(layer(x))
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(numpy(layer(x, training=True)), a)


@pytest.mark.parametrize("name", NAMES)
def test_config_round_trip(name):
    layer = FACTORIES[name](return_sequences=True, dropout=0.1, go_backwards=True)
    clone = type(layer).from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()


@pytest.mark.parametrize("name", NAMES)
def test_keras_file_round_trip_in_safe_mode(name, tmp_path):
    inputs = keras.Input((None, 4))
    model = keras.Model(inputs, FACTORIES[name](return_sequences=True)(inputs))
    x = sequences()
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_array_equal(model.predict(x, verbose=0), loaded.predict(x, verbose=0))
    assert type(loaded.layers[1]) is type(model.layers[1])


def test_cell_in_keras_rnn_equals_layer():
    x = sequences()
    layer = layers.Jordan(6, output_units=3, return_sequences=True)
    expected = numpy(layer(x))
    rnn = keras.layers.RNN(
        layers.JordanCell(6, output_units=3), return_sequences=True
    )
    rnn.build(x.shape)
    rnn.set_weights(layer.get_weights())
    np.testing.assert_allclose(numpy(rnn(x)), expected, atol=1e-6)


def test_stacked_cells_in_keras_rnn():
    cells = [layers.ElmanCell(5), layers.LSTMCell(4), layers.GRUCell(3)]
    rnn = keras.layers.RNN(keras.layers.StackedRNNCells(cells))
    assert rnn(sequences()).shape == (3, 3)


def test_irnn_identity_recurrent_initializer():
    layer = layers.Elman(4, activation="relu", recurrent_initializer="identity")
    layer.build((1, 2, 3))
    np.testing.assert_array_equal(numpy(layer.cell.recurrent_kernel), np.eye(4))


@pytest.mark.parametrize(
    "make, argument",
    [
        (lambda: layers.Elman(0), "units"),
        (lambda: layers.LSTM(-3), "units"),
        (lambda: layers.GRU(2.5), "units"),
        (lambda: layers.Elman(4, activation="nope"), "activation"),
        (lambda: layers.LSTM(4, recurrent_activation="nope"), "recurrent_activation"),
        (lambda: layers.GRU(4, kernel_initializer="nope"), "kernel_initializer"),
        (lambda: layers.Jordan(4), "output_units"),
        (lambda: layers.Jordan(4, output_units=0), "output_units"),
        (lambda: layers.LSTM(4, projection_units=0), "projection_units"),
        (lambda: layers.LSTM(4, dropout=1.5), "dropout"),
        (lambda: layers.GRU(4, recurrent_dropout=-0.1), "recurrent_dropout"),
        (lambda: layers.LSTM(4, use_cudnn="yes"), "use_cudnn"),
        (lambda: layers.LSTM(4, layer_norm=True, use_cudnn=True), "use_cudnn"),
        (lambda: layers.GRU(4, layer_norm=True, reset_after=False), "layer_norm"),
    ],
)
def test_bad_arguments_name_the_argument(make, argument):
    with pytest.raises(ValueError, match=f"`{argument}"):
        make()


@pytest.mark.parametrize("name", NAMES)
def test_inputs_of_wrong_rank_are_refused(name):
    with pytest.raises(ValueError, match="`inputs` of rank 3"):
        FACTORIES[name]()(np.ones((2, 3), "float32"))


@pytest.mark.parametrize("name", ["elman", "lstm", "jordan"])
def test_initial_state_of_wrong_shape_is_refused(name):
    layer = FACTORIES[name]()
    with pytest.raises(ValueError, match="initial_state"):
        layer(sequences(), initial_state=[np.zeros((3, 99), "float32")] * 2)
