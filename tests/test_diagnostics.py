"""Gradient flow through time, its callback, and gradient-norm logging."""

import json
import os

import keras
import numpy as np
import pytest

from rnnzoo import layers
from rnnzoo import models
from rnnzoo.train.callbacks import GradientFlow
from rnnzoo.train.callbacks import GradientNorms
from rnnzoo.train.callbacks import diagnostics_callbacks
from rnnzoo.diagnostics import gradient_flow
from rnnzoo.diagnostics import gradient_flow_by_layer
from rnnzoo.diagnostics import recurrent_layers

Constant = keras.initializers.Constant


def last_step_model(layer, steps, features):
    inputs = keras.Input((steps, features))
    model = keras.Model(inputs, layer(inputs))
    model.compile(loss="mse")
    return model


@pytest.mark.parametrize("w", [0.9, -0.7, 1.1])
def test_linear_recurrence_flow_is_w_to_the_distance(w):
    # h_t = w h_{t-1} + x_t, loss = mean((h_T - y)^2): dL/dh_t = w^(T-t) dL/dh_T.
    steps = 12
    rnn = layers.Elman(1, activation="linear", use_bias=False,
                       kernel_initializer=Constant(1.0), recurrent_initializer=Constant(w))
    model = last_step_model(rnn, steps, 1)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, steps, 1)).astype("float32")
    y = rng.normal(size=(5, 1)).astype("float32")
    flow = gradient_flow(model, (x, y))
    h_last = sum(w ** (steps - 1 - t) * x[:, t, 0] for t in range(steps))
    last = np.mean(np.abs(2 * (h_last - y[:, 0]) / len(x)))  # |dL/dh_T|, averaged.
    expected = last * np.abs(w) ** (steps - 1 - np.arange(steps))
    assert flow.shape == (1, steps)
    np.testing.assert_allclose(flow[0], expected, rtol=1e-6, atol=1e-6)


def test_elman_flow_matches_hand_written_backpropagation_through_time():
    steps, units = 6, 3
    rnn = layers.Elman(units, return_sequences=True,
                       kernel_initializer=keras.initializers.GlorotUniform(seed=1),
                       recurrent_initializer=keras.initializers.Orthogonal(seed=2),
                       bias_initializer=Constant(0.1))
    model = last_step_model(rnn, steps, 2)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(4, steps, 2)).astype("float32")
    y = rng.normal(size=(4, steps, units)).astype("float32")
    kernel, recurrent, bias = (np.asarray(v, "float64") for v in rnn.get_weights())
    h, hs = np.zeros((4, units)), []
    for t in range(steps):
        h = np.tanh(x[:, t] @ kernel + h @ recurrent + bias)
        hs.append(h)
    # Loss: mean over every step and unit; each h_t gets its own term and
    # the gradient flowing back from h_{t+1}.
    direct = [2 * (hs[t] - y[:, t]) / y.size for t in range(steps)]
    delta, expected = np.zeros((4, units)), []
    for t in reversed(range(steps)):
        delta = direct[t] + delta
        expected.append(np.linalg.norm(delta, axis=-1).mean())
        delta = (delta * (1 - hs[t] ** 2)) @ recurrent.T
    np.testing.assert_allclose(gradient_flow(model, (x, y))[0], expected[::-1], rtol=1e-5)


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="tape on intermediates")
@pytest.mark.parametrize("layer_class", [layers.LSTM, layers.GRU, layers.Jordan])
def test_gated_cells_match_a_step_by_step_tape(layer_class):
    import tensorflow as tf

    steps, units = 7, 3
    options = {"output_units": units} if layer_class is layers.Jordan else {}
    rnn = layer_class(units, return_sequences=True, **options)
    model = last_step_model(rnn, steps, 2)
    rng = np.random.default_rng(2)
    x = rng.normal(size=(4, steps, 2)).astype("float32")
    y = rng.normal(size=(4, steps, units)).astype("float32")
    with tf.GradientTape(persistent=True) as tape:
        states = rnn.cell.get_initial_state(4)
        outputs = []
        for t in range(steps):
            h, states = rnn.cell(tf.constant(x[:, t]), states)
            outputs.append(h)
        loss = tf.reduce_mean((tf.stack(outputs, 1) - y) ** 2)
    expected = [np.linalg.norm(tape.gradient(loss, h), axis=-1).mean() for h in outputs]
    np.testing.assert_allclose(gradient_flow(model, (x, y))[0], expected, rtol=1e-5)


def decay(layer_class):
    steps = 30
    rnn = layer_class(8, kernel_initializer=keras.initializers.GlorotUniform(seed=1),
                      recurrent_initializer=keras.initializers.Orthogonal(gain=0.25, seed=2))
    inputs = keras.Input((steps, 2))
    model = keras.Model(inputs, keras.layers.Dense(1, kernel_initializer=Constant(0.5))(rnn(inputs)))
    model.compile(loss="mse")
    rng = np.random.default_rng(0)
    batch = (rng.normal(size=(8, steps, 2)), rng.normal(size=(8, 1)))
    return gradient_flow(model, batch)[0]


def test_elman_gradient_vanishes_and_lstm_keeps_it():
    elman, lstm = decay(layers.Elman), decay(layers.LSTM)  # LSTM: forget bias 1.
    assert np.all(np.diff(elman) > 0), "Elman: the flow decays with distance"
    elman_kept, lstm_kept = elman[0] / elman[-1], lstm[0] / lstm[-1]
    assert elman_kept < 1e-15
    assert lstm_kept > 1e-7
    assert lstm_kept / elman_kept > 1e6


def test_stock_keras_layers_give_the_same_flow():
    np.testing.assert_allclose(decay(keras.layers.SimpleRNN), decay(layers.Elman), rtol=1e-5)


def test_sequential_stock_layers_and_stateful_states_kept():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(2, 5, 3)), rng.normal(size=(2, 4))
    stacked = keras.Sequential([keras.Input((5, 3)), layers.LSTM(4, return_sequences=True),
                                keras.layers.GRU(4)])
    stacked.compile(loss="mse")
    assert gradient_flow(stacked, (x, y)).shape == (2, 5)
    inputs = keras.Input(batch_shape=(2, 5, 3))
    rnn = layers.Elman(4, stateful=True)
    model = keras.Model(inputs, rnn(inputs))
    model.compile(loss="mse")
    model.predict(x, verbose=0)
    states = [keras.ops.convert_to_numpy(v) for v in rnn.states]
    first = gradient_flow(model, (x, y))
    np.testing.assert_array_equal(gradient_flow(model, (x, y)), first)
    for before, after in zip(states, rnn.states):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(after), before)


def tokens(rng, shape, vocabulary, padded_from):
    ids = rng.integers(3, vocabulary, size=shape)
    for row, start in padded_from.items():
        ids[row, start:] = 0
    return ids


MODELS = {
    "tagger_elman": lambda: models.SequenceTagger(cell="elman", units=4, num_tags=5, vocabulary_size=12),
    "tagger_jordan": lambda: models.SequenceTagger(cell="jordan", units=4, num_tags=5, vocabulary_size=12),
    "tagger_lstm_bidirectional": lambda: models.SequenceTagger(
        cell="lstm", units=4, num_tags=5, vocabulary_size=12, num_layers=2, bidirectional=True),
    "classifier_gru": lambda: models.SequenceClassifier(cell="gru", units=4, num_classes=2,
                                                        vocabulary_size=12),
    "feedback_jordan": lambda: models.OutputFeedbackRNN(units=4, num_classes=12),
}
NAMES = {
    "tagger_elman": ["recurrent_1"],
    "tagger_jordan": ["recurrent_1"],
    "tagger_lstm_bidirectional": [f"recurrent_{i}_bidirectional/{d}" for i in (1, 2)
                                  for d in ("forward", "backward")],
    "classifier_gru": ["recurrent_1"],
    "feedback_jordan": ["output_feedback"],
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_pattern_and_padding_gets_zero(name):
    model = MODELS[name]()
    model.compile()
    rng = np.random.default_rng(0)
    ids = tokens(rng, (3, 7), 12, {0: 4})
    targets = rng.integers(0, 2, size=(3,)) if "classifier" in name else ids % 5
    before = model.predict(ids, verbose=0)
    flows = gradient_flow_by_layer(model, (ids, targets), per_example=True)
    assert list(flows) == NAMES[name] == [n for n, _ in recurrent_layers(model)]
    for flow in flows.values():
        assert flow.shape == (3, 7)
        assert np.all(flow[0, 4:] == 0.0), "padding steps get exactly 0"
        assert np.all(flow[1:] > 0) and np.all(flow[0, :4] > 0)
    table = gradient_flow(model, (ids, targets))
    # The average is over the examples where a step is not padding.
    np.testing.assert_allclose(table[0, 4:], flows[NAMES[name][0]][1:, 4:].mean(axis=0))
    # The model is unchanged: same outputs, no patch left behind.
    np.testing.assert_array_equal(model.predict(ids, verbose=0), before)
    for _, layer in recurrent_layers(model):
        assert "call" not in vars(layer) and "call" not in vars(layer.cell)


@pytest.mark.parametrize("attention", ["bahdanau", "luong"])
def test_seq2seq_encoder_and_decoder_rows(attention):
    model = models.Seq2Seq(cell="gru", units=4, source_vocabulary_size=12,
                           target_vocabulary_size=12, attention=attention,
                           bidirectional=attention == "bahdanau", start_id=1, end_id=2)
    model.compile()
    rng = np.random.default_rng(0)
    source = tokens(rng, (3, 6), 12, {1: 2})
    target = tokens(rng, (3, 4), 12, {2: 3})
    table = gradient_flow(model, ({"source_ids": source, "target_ids": target}, target))
    names = [n for n, _ in recurrent_layers(model)]
    encoders = 2 if attention == "bahdanau" else 1
    assert names[-1] == "decoder_1" and all(n.startswith("encoder_1") for n in names[:-1])
    assert table.shape == (encoders + 1, 6)
    assert np.all(np.isnan(table[-1, 4:])), "the decoder has 4 steps"
    assert np.all(table[:, :4] > 0)


def test_generator_with_condition():
    model = models.SequenceGenerator(cell="lstm", units=4, vocabulary_size=12,
                                     num_conditions=3, num_layers=2, start_id=1, end_id=2)
    model.compile()
    ids = tokens(np.random.default_rng(0), (3, 5), 12, {})
    table = gradient_flow(model, ({"condition": np.array([0, 1, 2]), "target_ids": ids}, ids))
    assert table.shape == (2, 5) and np.all(np.isfinite(table)) and np.all(table > 0)


def test_explicit_loss_and_errors():
    rnn = layers.GRU(3, return_sequences=True)
    inputs = keras.Input((5, 2))
    model = keras.Model(inputs, rnn(inputs))
    x, y = np.ones((2, 5, 2)), np.zeros((2, 5, 3))
    with pytest.raises(ValueError, match="compile the model"):
        gradient_flow(model, (x, y))
    on_first_step = gradient_flow(model, (x, y), loss=lambda y, p: keras.ops.sum(p[:, 0]))
    assert on_first_step[0, 0] > 0 and np.all(on_first_step[0, 1:] == 0)
    dense = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    dense.compile(loss="mse")
    with pytest.raises(ValueError, match="no recurrent layer"):
        gradient_flow(dense, (np.ones((2, 3)), np.ones((2, 1))))
    with pytest.raises(ValueError, match="inputs, targets"):
        gradient_flow(model, x)


def tiny_tagger(clipnorm=1.0):
    model = models.SequenceTagger(cell="elman", units=4, num_tags=3, vocabulary_size=10)
    model.compile(optimizer=keras.optimizers.SGD(0.1, clipnorm=clipnorm))
    rng = np.random.default_rng(0)
    ids = tokens(rng, (16, 6), 10, {0: 3})
    return model, ids, ids % 3


def tensorboard_tags(folder):
    import tensorflow as tf

    tags = set()
    for name in os.listdir(folder):
        for event in tf.compat.v1.train.summary_iterator(os.path.join(folder, name)):
            tags.update(v.tag for v in event.summary.value)
    return tags


def test_gradient_flow_callback_records_every_n_epochs_and_resumes(tmp_path):
    model, ids, tags = tiny_tagger()
    batch = (ids[:4], tags[:4])
    callback = GradientFlow(batch, str(tmp_path), every=2)
    model.fit(ids, tags, batch_size=8, epochs=4, callbacks=[callback], verbose=0)
    record = json.loads((tmp_path / "gradient_flow.json").read_text())
    assert record["epochs"] == [0, 2, 4] and record["layers"] == ["recurrent_1"]
    assert record["batch_size"] == 4 and record["every"] == 2
    assert len(record["flow"]["recurrent_1"]) == 3
    np.testing.assert_allclose(record["flow"]["recurrent_1"][-1], gradient_flow(model, batch)[0],
                               rtol=1e-6)
    assert not any(name.endswith(".tmp") for name in os.listdir(tmp_path))
    # Resuming extends the record.
    model.fit(ids, tags, batch_size=8, epochs=6, initial_epoch=4, verbose=0,
              callbacks=[GradientFlow(batch, str(tmp_path), every=2)])
    record = json.loads((tmp_path / "gradient_flow.json").read_text())
    assert record["epochs"] == [0, 2, 4, 6]
    tags = tensorboard_tags(tmp_path / "logs" / "gradient_flow")
    assert {"gradient_flow/recurrent_1", "gradient_flow/log10_norm_layer_by_step"} <= tags


def linear_model(clip):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(
        1, use_bias=False, kernel_initializer=Constant([[0.5], [-1.0], [2.0]]))])
    model.compile(optimizer=keras.optimizers.SGD(0.0, **clip), loss="mse")
    return model


@pytest.mark.parametrize("clip, clipped", [
    ({"clipnorm": 0.5}, 1.0), ({"clipnorm": 100.0}, 0.0),
    ({"global_clipnorm": 0.5}, 1.0), ({"clipvalue": 100.0}, 0.0),
])
def test_gradient_norms_are_exact_and_count_clipped_steps(tmp_path, clip, clipped):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(8, 3)), rng.normal(size=(8, 1))
    w = np.array([[0.5], [-1.0], [2.0]])
    expected = np.linalg.norm(2 * x.T @ (x @ w - y) / len(x))  # d mean((xw - y)^2) / dw
    model = linear_model(clip)
    callback = GradientNorms(str(tmp_path))
    history = model.fit(x, y, batch_size=8, epochs=2, callbacks=[callback], verbose=0).history
    np.testing.assert_allclose(history["grad_norm"], [expected] * 2, rtol=1e-5)
    np.testing.assert_allclose(history["grad_norm_max"], [expected] * 2, rtol=1e-5)
    assert history["clipped_fraction"] == [clipped] * 2
    assert "apply" not in vars(model.optimizer), "the optimizer is restored"
    assert {"gradient_norm", "clipped"} <= tensorboard_tags(tmp_path)


def test_diagnostics_callbacks_for_the_engine(tmp_path):
    model, ids, tags = tiny_tagger(clipnorm=0.01)
    assert diagnostics_callbacks(model, (ids, tags), str(tmp_path), 0) == []
    assert diagnostics_callbacks(model, (ids, tags), str(tmp_path), None) == []
    callbacks = diagnostics_callbacks(model, (ids[:4], tags[:4]), str(tmp_path), 1)
    assert [type(c) for c in callbacks] == [GradientFlow, GradientNorms]
    history = model.fit(ids, tags, batch_size=4, epochs=1, callbacks=callbacks, verbose=0).history
    assert history["clipped_fraction"] == [1.0] and history["grad_norm"][0] > 0.01
    assert os.path.exists(tmp_path / "gradient_flow.json")
    unclipped, _, _ = tiny_tagger(clipnorm=None)
    assert [type(c) for c in diagnostics_callbacks(unclipped, (ids, tags), str(tmp_path), 3)] == [
        GradientFlow]


MIRRORED_MIXED = """
import json, sys
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
import keras, numpy as np
from rnnzoo import models
from rnnzoo.train.callbacks import diagnostics_callbacks
keras.config.set_dtype_policy("mixed_float16")
with tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"]).scope():
    model = models.SequenceTagger(cell="gru", units=4, num_tags=3, vocabulary_size=10)
    model.compile(optimizer=keras.optimizers.Adam(0.01, clipnorm=0.01))
ids = np.random.default_rng(0).integers(1, 10, size=(16, 5))
callbacks = diagnostics_callbacks(model, (ids[:4], ids[:4] % 3), sys.argv[1], 1)
history = model.fit(ids, ids % 3, batch_size=8, epochs=1, callbacks=callbacks, verbose=0).history
print(json.dumps([type(model.optimizer).__name__, history["clipped_fraction"],
                  history["grad_norm"]]))
"""


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="tf.distribute")
def test_under_mirrored_strategy_and_mixed_precision(tmp_path):
    import subprocess
    import sys

    process = subprocess.run([sys.executable, "-c", MIRRORED_MIXED, str(tmp_path)],
                             capture_output=True, text=True, timeout=300)
    assert process.returncode == 0, process.stderr[-3000:]
    optimizer, clipped, norm = json.loads(process.stdout.strip().splitlines()[-1])
    assert optimizer == "LossScaleOptimizer"  # Clipping sits in its inner optimizer.
    assert clipped == [1.0] and 0.01 < norm[0] < 100
    assert json.loads((tmp_path / "gradient_flow.json").read_text())["epochs"] == [0, 1]
