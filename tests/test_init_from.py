"""Fine-tuning: `rnnzoo train RECIPE --init-from MODEL` starts a run from a
trained model (a run folder or an export), with its architecture, its
vocabulary and its weights."""

import json
import os

import keras
import numpy as np
import pytest

from rnnzoo.errors import UsageError
from rnnzoo.export.saved_model import export_run
from rnnzoo.train.engine import run
from rnnzoo.train.recipe import find_recipe


class FirstWeights(keras.callbacks.Callback):
    """The model's weights when training first begins."""

    weights = None

    def on_train_begin(self, logs=None):
        if self.weights is None:
            self.weights = [np.array(w) for w in self.model.get_weights()]


def smoke(recipe, tmp_path, name, data, callbacks=(), **settings):
    return run(find_recipe(recipe), {"smoke": True, "data": str(data),
                                     "run_dir": str(tmp_path / name), **settings},
               verbose=0, callbacks=list(callbacks))


@pytest.fixture(scope="module")
def texts(tmp_path_factory):
    folder = tmp_path_factory.mktemp("texts")
    first = folder / "first.txt"
    first.write_text("To be, or not to be, that is the question.\n" * 300)
    second = folder / "second.txt"  # "x" and "z" are not in the first text's vocabulary.
    second.write_text("toxz\n" * 3000)
    return first, second


@pytest.fixture(scope="module")
def trained(tmp_path_factory, texts):
    """A smoke language model trained on the first text."""
    return smoke("shakespeare_char", tmp_path_factory.mktemp("trained"), "first", texts[0])


def test_a_language_model_starts_from_an_export_and_keeps_its_vocabulary(tmp_path, texts,
                                                                        trained):
    first, second = texts
    export = export_run(trained.run_dir, name="first", base_dir=str(tmp_path / "exports"))
    seen = FirstWeights()
    tuned = smoke("shakespeare_char", tmp_path, "second", second, [seen], init_from=export)
    for got, want in zip(seen.weights, trained.model.get_weights()):
        np.testing.assert_array_equal(got, want)
    assert any(not np.array_equal(a, b) for a, b in
               zip(tuned.model.get_weights(), trained.model.get_weights()))
    config = json.load(open(os.path.join(tuned.run_dir, "config.json")))
    start = config["init_from"]
    assert start["kind"] == "export" and start["from"] == export
    # "x" and "z" are 2 of the 5 characters of every line "toxz\n".
    assert start["out_of_vocabulary_share"] == pytest.approx(0.4, abs=0.01)
    assert config["model_config"]["vocabulary_size"] == trained.model.get_config()[
        "vocabulary_size"]
    metrics = json.load(open(os.path.join(tuned.run_dir, "metrics.json")))
    assert metrics["run"]["init_from"]["from"] == export


def write_labelled(path, labels):
    path.write_text("".join(f"{label} film number {i}\t{label}\n"
                            for i in range(40) for label in labels))
    return path


def test_a_classifier_keeps_its_encoder_and_gets_a_new_head_for_new_labels(tmp_path):
    first = write_labelled(tmp_path / "first.tsv", ("good", "bad"))
    second = write_labelled(tmp_path / "second.tsv", ("up", "down", "flat"))
    trained = smoke("imdb_sentiment", tmp_path, "first", first, tokens="word")
    seen = FirstWeights()
    tuned = smoke("imdb_sentiment", tmp_path, "second", second, [seen],
                  init_from=trained.run_dir)
    paths = [w.path for w in tuned.model.weights]
    trained_weights = {w.path: np.array(w) for w in trained.model.weights}
    for path, value in zip(paths, seen.weights):
        if path.startswith("logits/"):
            assert value.shape[-1] == 3  # A new output layer, three labels.
        else:
            np.testing.assert_array_equal(value, trained_weights[path])
    assert tuned.metrics["run"]["init_from"]["label_names"] == ["bad", "good"]


def test_another_architecture_or_task_is_refused_and_writes_nothing(tmp_path, texts, trained):
    first, second = texts
    with pytest.raises(UsageError, match="--units 32 asks for another model .* units is 16"):
        smoke("shakespeare_char", tmp_path, "units", second, init_from=trained.run_dir,
              units=32)
    labelled = write_labelled(tmp_path / "labelled.tsv", ("good", "bad"))
    with pytest.raises(UsageError, match="is a SequenceTagger .language_model.; this "
                                         "recipe trains a SequenceClassifier"):
        smoke("imdb_sentiment", tmp_path, "task", labelled, init_from=trained.run_dir)
    assert not (tmp_path / "units").exists() and not (tmp_path / "task").exists()


def test_a_built_in_task_continues_at_another_length_from_its_trained_weights(tmp_path):
    """The long-range curriculum: copy memory at T = 20 starts from T = 10."""
    def copy_memory(name, **settings):
        return run(find_recipe("copy_memory"), {"smoke": True, "cell": "gru",
                                                "run_dir": str(tmp_path / name), **settings},
                   verbose=0, callbacks=[seen] if name == "t20" else [])

    seen = FirstWeights()
    short = copy_memory("t10", length=10)
    longer = copy_memory("t20", length=20, init_from=short.run_dir)
    trained = keras.models.load_model(os.path.join(short.run_dir, "model.keras"))
    for a, b in zip(seen.weights, trained.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    with open(os.path.join(longer.run_dir, "config.json")) as f:
        assert json.load(f)["init_from"]["from"] == short.run_dir

    ner = tmp_path / "ner.conll"
    ner.write_text("John B-PER\nsleeps O\n\n" * 30)
    tagger = run(find_recipe("conll_ner"), {"smoke": True, "data": str(ner),
                                            "run_dir": str(tmp_path / "ner")}, verbose=0)
    with pytest.raises(UsageError, match="vocabulary is not the 'copy_memory' dataset's"):
        copy_memory("other", init_from=tagger.run_dir, cell="lstm")
    assert not (tmp_path / "other").exists()
