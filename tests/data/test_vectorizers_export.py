"""The vectorizers travel with a model: inside a SavedModel and a .keras file."""

import keras
import numpy as np
import tensorflow as tf

from rnnzoo import data


def _task(tmp_path):
    path = tmp_path / "data.tsv"
    path.write_text("good film\tpos\nbad film\tneg\ngood plot\tpos\n")
    return data.from_files("classification", path, [path, path], tokens="word")


def test_vectorizers_inside_a_saved_model(tmp_path):
    task = _task(tmp_path)
    module = tf.Module()
    module.tokens = task.vectorizers["tokens"]
    module.labels = task.vectorizers["labels"]
    module.ids = tf.function(
        lambda texts: tf.cast(module.tokens(texts), tf.int32),
        input_signature=[tf.TensorSpec([None], tf.string)],
    )
    module.label_ids = tf.function(
        lambda labels: tf.cast(module.labels(labels), tf.int32),
        input_signature=[tf.TensorSpec([None], tf.string)],
    )
    tf.saved_model.save(module, str(tmp_path / "export"))
    loaded = tf.saved_model.load(str(tmp_path / "export"))
    texts = tf.constant(["Good film!", "bad unknown plot"])
    expected = module.ids(texts).numpy().tolist()
    assert expected == [[2, 3, 0], [5, 1, 4]]  # good film plot bad; 1 is OOV
    assert loaded.ids(texts).numpy().tolist() == expected
    assert loaded.label_ids(tf.constant(["pos", "neg"])).numpy().tolist() == [1, 0]


def test_vectorizer_in_a_keras_model_round_trip(tmp_path):
    task = _task(tmp_path)
    text = keras.Input(shape=(), dtype="string", name="text")
    ids = task.vectorizers["tokens"](text)
    model = keras.Model(text, keras.layers.Embedding(
        task.vocabulary_size, 2, mask_zero=True)(ids))
    model.save(tmp_path / "model.keras")
    restored = keras.models.load_model(tmp_path / "model.keras")
    batch = np.array(["good plot", "bad"])
    np.testing.assert_allclose(restored(batch), model(batch))
