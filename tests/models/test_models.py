"""Masking, losses, decoding and argument checks of the pattern models."""

import keras
import numpy as np
import pytest

from rnnzoo import models
from tests.models.tasks import batch_for
from tests.models.tasks import data_sizes

PATTERNS = {
    "tagger": (models.SequenceTagger, {"cell": "lstm", "units": 8, "bidirectional": True}),
    "classifier_mean": (models.SequenceClassifier, {"cell": "gru", "units": 8, "pooling": "mean"}),
    "classifier_max": (models.SequenceClassifier, {"cell": "elman", "units": 8, "pooling": "max"}),
    "classifier_attention": (
        models.SequenceClassifier, {"cell": "jordan", "units": 8, "pooling": "attention"},
    ),
    "classifier_last": (models.SequenceClassifier, {"cell": "lstm", "units": 8, "bidirectional": True}),
    "feedback": (models.OutputFeedbackRNN, {"units": 8, "feedback_window": 3}),
    "seq2seq_bahdanau": (
        models.Seq2Seq, {"cell": "lstm", "units": 8, "attention": "bahdanau", "bidirectional": True},
    ),
    "seq2seq_luong": (models.Seq2Seq, {"cell": "gru", "units": 8, "attention": "luong", "num_layers": 2}),
    "generator": (models.SequenceGenerator, {"cell": "gru", "units": 8, "num_layers": 2}),
}


def build(name):
    model_class, kwargs = PATTERNS[name]
    model = model_class(**kwargs, **data_sizes(model_class, kwargs))
    model.compile()
    return model, model_class


def pad(value, extra):
    """Right-pads every int array in `value` with `extra` zero steps."""
    if isinstance(value, dict):
        return {k: pad(v, extra) for k, v in value.items()}
    if value.ndim < 2:
        return value
    return np.pad(value, [(0, 0), (0, extra)] + [(0, 0)] * (value.ndim - 2))


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_extra_padding_changes_no_prediction_and_no_loss(name):
    model, model_class = build(name)
    inputs, targets = batch_for(model_class)
    padded_inputs, padded_targets = pad(inputs, 3), pad(targets, 3)
    short = model.predict(inputs, verbose=0)
    long = model.predict(padded_inputs, verbose=0)
    steps = targets.shape[1] if targets.ndim == 2 else None
    np.testing.assert_allclose(long[:, :steps] if steps else long, short, atol=1e-5)
    loss = model.evaluate(inputs, targets, verbose=0, return_dict=True)
    padded_loss = model.evaluate(padded_inputs, padded_targets, verbose=0, return_dict=True)
    for key in loss:
        np.testing.assert_allclose(padded_loss[key], loss[key], rtol=1e-5, atol=1e-6)


def test_sequence_loss_is_the_mean_over_real_steps():
    model, model_class = build("tagger")
    ids, tags = batch_for(model_class)
    logits = model.predict(ids, verbose=0)
    log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    picked = np.take_along_axis(log_probs, tags[..., None], -1)[..., 0]
    real = ids != 0
    result = model.evaluate(ids, tags, verbose=0, return_dict=True)
    np.testing.assert_allclose(result["loss"], -picked[real].mean(), rtol=1e-5)
    accuracy = (logits.argmax(-1) == tags)[real].mean()
    np.testing.assert_allclose(result["accuracy"], accuracy, rtol=1e-6)


def test_compile_defaults_clip_the_gradient_norm():
    model, _ = build("generator")
    assert isinstance(model.optimizer, keras.optimizers.Adam)
    assert model.optimizer.clipnorm == 1.0


@pytest.mark.parametrize("name", ["seq2seq_bahdanau", "seq2seq_luong"])
def test_beam_width_one_equals_greedy(name):
    model, model_class = build(name)
    inputs, _ = batch_for(model_class)
    greedy = model.generate(inputs["source_ids"], max_length=7)
    beam = model.generate(inputs["source_ids"], max_length=7, method="beam", beam_width=1)
    np.testing.assert_array_equal(greedy[0], beam[0])
    np.testing.assert_allclose(greedy[1], beam[1], atol=1e-5)


@pytest.mark.parametrize("name", ["seq2seq_bahdanau", "seq2seq_luong"])
def test_greedy_scores_are_the_teacher_forced_log_probabilities(name):
    model, model_class = build(name)
    source = batch_for(model_class)[0]["source_ids"]
    tokens, scores, attention = model.generate(source, max_length=5, return_attention=True)
    target_in = np.concatenate([np.full((len(source), 1), 2), tokens[:, :-1]], 1)
    logits = model.predict({"source_ids": source, "target_ids": target_in}, verbose=0)
    logits[..., 0] = -1e9  # Padding is never generated.
    log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    picked = np.take_along_axis(log_probs, tokens[..., None], -1)[..., 0]
    np.testing.assert_allclose(scores, (picked * (tokens != 0)).sum(1), atol=1e-4)
    real = source != 0
    np.testing.assert_allclose(attention[tokens != 0].sum(-1), 1.0, atol=1e-5)
    assert (attention.transpose(1, 0, 2)[:, ~real] == 0).all()


def test_feedback_teacher_forcing_reproduces_free_running():
    model, model_class = build("feedback")
    prompt = np.array([[5, 7, 9], [4, 4, 6]])
    generated = model.generate(prompt, max_length=6, temperature=0)
    previous = np.concatenate([prompt, generated[:, :-1]], axis=1)
    logits = model.predict(previous, verbose=0)
    logits[..., 0] = -np.inf  # Padding is never generated.
    np.testing.assert_array_equal(logits[:, 2:].argmax(-1), generated)


def test_feedback_forecast_equals_teacher_forcing_on_its_own_outputs():
    model = models.OutputFeedbackRNN(units=8, output_dim=2, feedback_window=2)
    prompt = np.random.default_rng(0).normal(size=(3, 4, 2)).astype("float32")
    forecast = model.forecast(prompt, steps=5)
    previous = np.concatenate([prompt, forecast[:, :-1]], axis=1)
    teacher_forced = model.predict(previous, verbose=0)
    np.testing.assert_allclose(teacher_forced[:, 3:], forecast, atol=1e-6)


def test_feedback_training_graph_has_no_loop():
    if keras.backend.backend() != "tensorflow":
        pytest.skip("graph inspection is TF")
    import tensorflow as tf

    model, _ = build("feedback")
    fn = tf.function(lambda x: model(x, training=True))
    graph = fn.get_concrete_function(tf.TensorSpec((None, None), tf.int32)).graph
    types = {op.type for op in graph.get_operations()}
    assert not types & {"While", "StatelessWhile"}
    tagger, _ = build("tagger")
    fn = tf.function(lambda x: tagger(x, training=True))
    graph = fn.get_concrete_function(tf.TensorSpec((None, None), tf.int32)).graph
    assert {op.type for op in graph.get_operations()} & {"While", "StatelessWhile"}


def test_generation_survives_saving(tmp_path):
    model, model_class = build("generator")
    path = tmp_path / "generator.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    a = model.generate(np.array([0, 1]), max_length=6, seed=5)
    b = loaded.generate(np.array([0, 1]), max_length=6, seed=5)
    np.testing.assert_array_equal(a, b)
    model, model_class = build("seq2seq_bahdanau")
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    source = batch_for(model_class)[0]["source_ids"]
    for method in ("greedy", "beam"):
        a = model.generate(source, max_length=5, method=method)
        b = loaded.generate(source, max_length=5, method=method)
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_allclose(a[1], b[1], atol=1e-6)


@pytest.mark.parametrize(
    "make, argument",
    [
        (lambda: models.SequenceTagger(cell="lsmt", num_tags=2, vocabulary_size=9), "cell"),
        (lambda: models.SequenceTagger(num_tags=2, vocabulary_size=9, num_layers=0), "num_layers"),
        (lambda: models.SequenceTagger(units=0, num_tags=2, vocabulary_size=9), "units"),
        (lambda: models.SequenceTagger(num_tags=2), "vocabulary_size"),
        (lambda: models.SequenceTagger(vocabulary_size=9), "num_tags"),
        (lambda: models.SequenceClassifier(vocabulary_size=9, num_classes=2, output_dim=1), "num_classes"),
        (lambda: models.SequenceClassifier(vocabulary_size=9, num_classes=2, pooling="avg"), "pooling"),
        (lambda: models.SequenceClassifier(vocabulary_size=9, num_classes=2, dropout=1.0), "dropout"),
        (lambda: models.OutputFeedbackRNN(cell="lstm", num_classes=3), "cell"),
        (lambda: models.OutputFeedbackRNN(num_classes=3, feedback_window=0), "feedback_window"),
        (lambda: models.Seq2Seq(source_vocabulary_size=9, target_vocabulary_size=9, attention="dot"), "attention"),
        (lambda: models.Seq2Seq(source_vocabulary_size=9), "target_vocabulary_size"),
        (lambda: models.SequenceGenerator(vocabulary_size=9, num_conditions=2, condition_dim=3), "num_conditions"),
    ],
)
def test_bad_arguments_name_the_argument(make, argument):
    with pytest.raises(ValueError, match=f"`{argument}`"):
        make()


def test_unknown_cell_suggests_the_closest():
    with pytest.raises(ValueError, match="Did you mean 'lstm'"):
        models.SequenceTagger(cell="lsmt", num_tags=2, vocabulary_size=9)
