"""Every registered model builds, trains a step and round-trips."""

import keras
import numpy as np
import pytest

import rnnzoo
from rnnzoo.registry import model_preset
from tests.models.tasks import batch_for
from tests.models.tasks import data_sizes


@pytest.mark.parametrize("name", rnnzoo.list_models())
def test_registered_model_trains_and_round_trips(name, tmp_path):
    model_class, preset = model_preset(name)
    model = rnnzoo.create_model(name, **data_sizes(model_class, preset))
    model.compile(run_eagerly=True)  # One step: tracing would dominate.
    inputs, targets = batch_for(model_class)
    history = model.fit(inputs, targets, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    path = tmp_path / f"{name}.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert type(loaded) is type(model)
    assert loaded.get_config() == model.get_config()
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(model(inputs)),
        keras.ops.convert_to_numpy(loaded(inputs)),
    )


def test_duplicate_name_raises():
    with pytest.raises(ValueError, match="already registered"):
        rnnzoo.register_model("tagger_lstm_small", rnnzoo.models.SequenceTagger)


def test_unknown_name_lists_close_matches():
    with pytest.raises(ValueError, match="classifier_lstm_small"):
        rnnzoo.create_model("clasifier_lstm_smal")


def test_list_models_filters_by_pattern():
    names = rnnzoo.list_models("seq2seq_*_bidirectional_bahdanau_base")
    assert names == [f"seq2seq_{c}_bidirectional_bahdanau_base" for c in sorted(["elman", "gru", "jordan", "lstm"])]
    for pattern in ("tagger", "classifier", "seq2seq", "generator", "feedback"):
        assert rnnzoo.list_models(f"{pattern}_*")
