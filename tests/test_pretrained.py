"""`rnnzoo.load_pretrained`: every shipped model, rebuilt as a Keras model
with the weights of its SavedModel, answers as the SavedModel does on the
inputs its preprocessor makes, and trains; wrong names and folders are
clear errors."""

import os

import numpy as np
import pytest
import tensorflow as tf

import rnnzoo
from rnnzoo.export import pretrained
from rnnzoo.export import zoo
from rnnzoo.errors import UsageError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BASE = os.path.join(ROOT, "saved_models")
CARDS = {card["name"]: card for card in zoo.shipped(BASE)}
SHIPPED = {name: card["path"] for name, card in CARDS.items()}
# Raw inputs and targets of each shipped model: capitals, punctuation,
# unknown words and an empty text, which the export must treat alike.
CASES = {
    "addition": (["123+45", "9+9", "500+500"], ["168", "18", "1000"]),
    "fra_eng_char": (["I love you.", "Go away!"], ["Je t'adore.", "Va-t'en !"]),
    "mr_generator": (["positive", "negative"], ["A gorgeous, witty film.", "dull and lifeless"]),
    "mr_sentiment": (["A gorgeous, witty film!", "dull, lifeless and UNWATCHABLE",
                      "qqqzz", ""], ["positive", "negative", "negative", "positive"]),
    "shakespeare_char": (["ROMEO:\nWhat light", "To be, or not to be"], None),
    "shakespeare_feedback": (["ROMEO:\nWhat light", "To be, or not to be"], None),
}


@pytest.fixture(scope="module")
def loaded():
    """`load(name)`: `(Keras model, SavedModel)`, each loaded once."""
    cache = {}

    def load(name):
        if name not in SHIPPED:
            pytest.skip(f"{name} is not shipped in saved_models/")
        if name not in cache:
            cache[name] = (rnnzoo.load_pretrained(name), tf.saved_model.load(SHIPPED[name]))
        return cache[name]

    return load


def log_likelihood(logits, targets):
    """Teacher-forced log-likelihood of `targets` (0 = padding) per example."""
    log_probs = tf.nn.log_softmax(logits)
    picked = tf.gather(log_probs, targets, batch_dims=2)
    return tf.reduce_sum(picked * tf.cast(targets > 0, tf.float32), axis=1).numpy()


def test_every_shipped_model_has_a_case():
    assert sorted(SHIPPED) == sorted(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_keras_model_answers_as_its_savedmodel(name, loaded):
    model, saved = loaded(name)
    inputs, targets = CASES[name]
    assert type(model).__name__ == CARDS[name]["model_class"]
    if model.task == "classification":
        got = tf.nn.softmax(model(model.preprocessor(inputs))).numpy()
        want = saved.signatures["serving_default"](text=tf.constant(inputs))
        np.testing.assert_allclose(got, want["probabilities"].numpy(), atol=1e-5)
        return
    x, y = model.preprocessor.batch(inputs, targets)
    arguments = {"language_model": {"text": inputs},
                 "seq2seq": {"text": inputs, "target": targets},
                 "conditional_generation": {"condition": inputs, "text": targets}}[model.task]
    want = saved.signatures["score"](**{k: tf.constant(v) for k, v in arguments.items()})
    np.testing.assert_array_equal(np.sum(y.numpy() > 0, axis=1), want["token_count"].numpy())
    np.testing.assert_allclose(log_likelihood(model(x), y), want["log_likelihood"].numpy(),
                               atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("name", ["addition", "mr_generator"])
def test_generated_ids_detokenize_to_the_savedmodels_text(name, loaded):
    model, saved = loaded(name)
    inputs, _ = CASES[name]
    sampling = model.preprocessor.context.sampling()
    if name == "addition":
        tokens, _ = model.generate(model.preprocessor(inputs), sampling["max_length"])
        want = saved.signatures["serving_default"](text=tf.constant(inputs))["translation"]
        assert model.preprocessor.detokenize(tokens) == ["168", "18", "1000"]
    else:  # An export gives each instance the seed: one seed per row.
        seeds = [sampling.pop("seed")] * len(inputs)
        tokens = model.generate(model.preprocessor(inputs), seed=seeds, **sampling)
        want = saved.signatures["serving_default"](condition=tf.constant(inputs))["text"]
    assert model.preprocessor.detokenize(tokens) == [t.decode() for t in want.numpy()]


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_model_trains_one_step_on_a_preprocessed_batch(name, loaded):
    model, _ = loaded(name)
    inputs, targets = CASES[name]
    before = model.get_weights()
    model.compile(run_eagerly=True)  # The pattern's defaults, without tracing.
    try:
        history = model.fit(*model.preprocessor.batch(inputs, targets), epochs=1, verbose=0)
        assert np.isfinite(history.history["loss"][0])
        changed = [not np.array_equal(a, b) for a, b in zip(before, model.get_weights())]
        assert any(changed)
    finally:
        model.set_weights(before)


def test_the_loaded_model_is_compiled_and_trains_as_it_comes():
    if "addition" not in SHIPPED:
        pytest.skip("addition is not shipped")
    model = rnnzoo.load_pretrained(os.path.join(BASE, "addition"))
    history = model.fit(*model.preprocessor.batch(["1+1"], ["2"]), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_a_path_to_a_model_or_a_version_folder_loads_that_export():
    if "addition" not in SHIPPED:
        pytest.skip("addition is not shipped")
    version = SHIPPED["addition"]
    assert pretrained.export_folder(os.path.dirname(version)) == version
    assert pretrained.export_folder(version) == version
    assert pretrained.export_folder("addition", BASE) == version


def test_an_unknown_name_names_the_zoos_models():
    with pytest.raises(UsageError) as error:
        rnnzoo.load_pretrained("additon")
    message = str(error.value)
    assert "Unknown pretrained model 'additon'" in message and "Did you mean 'addition'" in message
    assert all(name in message for name in SHIPPED)


def test_a_folder_that_is_not_an_export_is_refused(tmp_path):
    with pytest.raises(UsageError, match="is not an rnnzoo export"):
        rnnzoo.load_pretrained(str(tmp_path))
    tf.saved_model.save(tf.Module(), str(tmp_path / "plain" / "1"))
    with pytest.raises(UsageError, match="without an rnnzoo card"):
        rnnzoo.load_pretrained(str(tmp_path / "plain"))


def test_weights_that_the_export_does_not_hold_are_named(loaded):
    model, saved = loaded("addition")
    variables = [v for v in tf.train.TrackableView(saved).descendants()
                 if isinstance(v, tf.Variable)]
    kept = [v for v in variables if v.name != "logits/bias:0"]
    assert len(kept) == len(variables) - 1
    with pytest.raises(UsageError, match=r"unmatched: logits/bias \(no saved variables"):
        pretrained.restore_weights(model, kept)
    wrong = kept + [tf.Variable(tf.zeros(3), name="logits/bias")]
    with pytest.raises(UsageError, match=r"logits/bias \(shape \(14,\), saved \(3,\)\)"):
        pretrained.restore_weights(model, wrong)
    extra = variables + [tf.Variable(tf.zeros(3), name="stray/kernel")]
    with pytest.raises(UsageError, match=r"stray/kernel \(saved, no such weight\)"):
        pretrained.restore_weights(model, extra)


def test_unknown_labels_are_named(loaded):
    model, _ = loaded("mr_generator")
    with pytest.raises(UsageError, match="Unknown label.*'neutral'.*negative, positive"):
        model.preprocessor(["positive", "neutral"])


def test_an_export_of_a_features_model_loads_with_its_weights(tmp_path):
    from rnnzoo.export.saved_model import export_saved_model

    model = rnnzoo.models.SequenceClassifier(cell="gru", units=4, num_classes=3, input_dim=2,
                                             name="tiny")
    path = export_saved_model(model, "tiny", base_dir=str(tmp_path))
    again = rnnzoo.load_pretrained(os.path.dirname(path))
    for a, b in zip(model.weights, again.weights):
        assert a.path == b.path
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    features = np.random.default_rng(0).normal(size=(2, 5, 2)).tolist()
    want = tf.saved_model.load(path).signatures["serving_default"](
        features=tf.constant(features, tf.float32))["outputs"]
    np.testing.assert_allclose(again(again.preprocessor(features)), want.numpy(), atol=1e-6)
