"""Training that keeps its best epoch: selection, early stopping, the
learning-rate schedules, validation data that never comes from the test
file, and the chrono initialization of the long-range recipes."""

import json
import math

import keras
import numpy as np
import pytest

from rnnzoo import data as rz_data
from rnnzoo import layers
from rnnzoo.train import schedules
from rnnzoo.train.recipe import find_recipe
from rnnzoo.train.recipe import resolve
from rnnzoo.train.run_folder import RunFolder
from rnnzoo.train.selection import Selection
from rnnzoo.train.engine import run


class Sabotage(keras.callbacks.Callback):
    """Records the weights after every epoch; from epoch `start` (1-based)
    on, replaces them with noise before the epoch trains, so that no later
    epoch can be the best."""

    def __init__(self, start):
        super().__init__()
        self.start = start
        self.weights = {}

    def on_epoch_begin(self, epoch, logs=None):
        if epoch + 1 >= self.start:
            rng = np.random.default_rng(epoch)
            self.model.set_weights(
                [rng.normal(0, 3, w.shape).astype(w.dtype) for w in self.model.get_weights()])

    def on_epoch_end(self, epoch, logs=None):
        self.weights[epoch + 1] = [np.array(w) for w in self.model.get_weights()]


#: The smallest recipe to train: the adding problem's smoke run (64
#: sequences of 10 steps, 8 LSTM units).
SMOKE_RECIPE = "adding_problem"


def smoke(tmp_path, sabotage, **settings):
    return run(
        find_recipe(SMOKE_RECIPE),
        {"smoke": True, "output_dir": str(tmp_path), "data_dir": str(tmp_path / "tfds"),
         "learning_rate": 0.01, **settings},
        verbose=0, callbacks=[sabotage],
    )


def test_the_selected_epochs_weights_are_the_ones_kept(tmp_path):
    sabotage = Sabotage(start=3)
    result = smoke(tmp_path, sabotage, epochs=5)
    selection = result.metrics["selection"]
    assert selection["on"] == "val_loss" and selection["epochs_done"] == 5
    assert selection["epoch"] in (1, 2)  # Epochs 3-5 start from noise.
    history = result.metrics["history"]["val_loss"]
    assert selection["value"] == pytest.approx(min(history))
    assert history.index(min(history)) + 1 == selection["epoch"]
    expected = sabotage.weights[selection["epoch"]]
    for model in (result.model, RunFolder(result.run_dir).load_model()):
        for got, want in zip(model.get_weights(), expected):
            np.testing.assert_array_equal(got, want)
    # The test split was evaluated once, on those weights.
    test_split = rz_data.load(SMOKE_RECIPE, smoke=True, batch_size=16, length=10,
                              data_dir=str(tmp_path / "tfds")).test
    test = result.model.evaluate(test_split, verbose=0, return_dict=True)
    assert result.metrics["test"]["loss"] == pytest.approx(test["loss"], rel=1e-5)


def test_early_stopping_stops_after_patience_epochs(tmp_path):
    result = smoke(tmp_path, Sabotage(start=3), epochs=20, patience=2)
    selection = result.metrics["selection"]
    assert selection["stopped_early"]
    assert selection["epochs_done"] == selection["epoch"] + 2 < 20
    assert len(result.metrics["history"]["loss"]) == selection["epochs_done"]
    assert "stopped early" in selection["reason"]
    assert selection["stopped"] == "patience" and selection["converged"] is True


def test_a_run_stops_once_it_reaches_its_target(tmp_path):
    result = smoke(tmp_path, Sabotage(start=99), epochs=20, target=1e9)
    selection = result.metrics["selection"]
    assert selection["reached_target"] and selection["stopped_early"]
    assert selection["epochs_done"] == selection["epoch"] == 1
    assert "reached the target 1e+09" in selection["reason"]
    assert selection["stopped"] == "target" and selection["converged"] is True


def ended(values, patience=0, epochs=None, min_delta=0.0):
    selection = Selection(on="val_loss", patience=patience, min_delta=min_delta,
                          epochs=epochs or len(values))
    for epoch, value in enumerate(values, 1):
        selection.update(epoch, {"val_loss": value})
    return selection, selection.report(len(values))


def test_a_run_at_its_ceiling_converged_only_if_it_had_stopped_improving():
    # With patience, a run that reaches the ceiling has improved within its
    # last `patience` epochs (early stopping would have ended it otherwise).
    selection, report = ended([3.0, 2.0, 2.5, 2.4], patience=3)
    assert (report["stopped"], report["converged"], report["epochs"]) == ("ceiling", False, 4)
    assert "did not converge" in report["reason"]
    assert selection.not_converged_note(4) == (
        "note: the run did not converge: it reached its ceiling of 4 epochs 2 epoch(s) after "
        "val_loss last improved, before --patience 3 epochs without progress would stop it "
        "(best: epoch 2). Raise the ceiling, e.g. --epochs 8, in a new run folder (--run-dir).")
    # Without patience: the last epoch decides.
    assert ended([3.0, 2.0, 1.0])[1]["converged"] is False
    selection, report = ended([3.0, 1.0, 2.0])
    assert (report["stopped"], report["converged"]) == ("ceiling", True)
    assert selection.not_converged_note(3) is None and "converge" not in report["reason"]
    # An improvement no larger than min_delta is no progress.
    assert ended([3.0, 2.0, 1.999], min_delta=0.01)[1]["converged"] is True
    # Patience that ends the run at the ceiling's epoch: stopped by patience.
    assert ended([1.0, 2.0, 2.0], patience=2)[1]["stopped"] == "patience"
    # A run still training has not stopped.
    _, report = ended([3.0, 2.0], epochs=5)
    assert report["stopped"] is None and report["converged"] is None


def test_a_run_that_ends_at_its_ceiling_while_improving_says_so(tmp_path, capsys):
    result = smoke(tmp_path, Sabotage(start=99), epochs=1, min_delta=0.0)
    selection = result.metrics["selection"]
    assert (selection["stopped"], selection["converged"]) == ("ceiling", False)
    saved = json.loads((tmp_path / SMOKE_RECIPE / "metrics.json").read_text())
    assert saved["selection"] == selection
    out = capsys.readouterr().out
    assert ("note: the run did not converge: it reached its ceiling of 1 epoch while "
            "val_loss still improved in its last epoch (best: epoch 1)") in out
    assert "--epochs 2" in out


def test_a_target_is_reached_at_or_beyond_it_in_the_metrics_direction():
    loss = Selection(on="val_loss", target=0.1)
    loss.update(1, {"val_loss": 0.2})
    assert not loss.reached_target and not loss.stopped_early
    loss.update(2, {"val_loss": 0.1})
    assert loss.reached_target and loss.stopped_early
    accuracy = Selection(on="val_accuracy", target=0.9)
    accuracy.update(1, {"val_accuracy": 0.5})
    assert not accuracy.reached_target
    accuracy.update(2, {"val_accuracy": 0.95})
    assert accuracy.reached_target


def test_select_on_accuracy_takes_the_largest():
    selection = Selection(on="val_accuracy")
    for epoch, value in enumerate([0.5, 0.7, 0.6], 1):
        selection.update(epoch, {"val_accuracy": value})
    assert (selection.epoch, selection.value, selection.wait) == (2, 0.7, 1)


def test_an_unknown_selection_metric_is_refused(tmp_path):
    with pytest.raises(ValueError, match="one of .*'val_loss'.*'val_mae'"):
        smoke(tmp_path, Sabotage(start=99), select_on="val_mea")


def cosine(step, peak, warmup, total):
    if step < warmup:
        return peak * step / warmup
    return peak * 0.5 * (1 + math.cos(math.pi * (step - warmup) / (total - warmup)))


def test_warmup_cosine_follows_its_formula_per_step():
    settings = {"learning_rate": 0.01, "lr_schedule": "cosine", "epochs": 4,
                "warmup_steps": 10}
    schedule = schedules.learning_rate(settings, steps_per_epoch=25)
    for step in (0, 1, 5, 9, 10, 11, 50, 99, 100, 150):
        assert float(schedule(step)) == pytest.approx(
            cosine(min(step, 100), 0.01, 10, 100), abs=1e-7), step
    assert schedules.learning_rate({**settings, "lr_schedule": "constant"}, 25) == 0.01


def test_a_shorter_epochs_is_the_budget_the_cosine_schedule_fits():
    settings = resolve(find_recipe("addition"), {"epochs": 5})  # The recipe's: 30.
    schedule = schedules.learning_rate(settings, steps_per_epoch=10)
    assert float(schedule(49)) > 0 and float(schedule(50)) == pytest.approx(0.0, abs=1e-9)


class RecordRate(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.rates = []

    def on_train_batch_begin(self, batch, logs=None):
        optimizer = self.model.optimizer
        self.rates.append((int(optimizer.iterations), float(optimizer.learning_rate)))


def test_a_run_trains_on_the_schedule_step_by_step(tmp_path):
    recorder = RecordRate()
    result = run(
        find_recipe(SMOKE_RECIPE),
        {"smoke": True, "epochs": 3, "lr_schedule": "cosine", "warmup_steps": 3,
         "learning_rate": 0.01, "output_dir": str(tmp_path),
         "data_dir": str(tmp_path / "tfds")},
        verbose=0, callbacks=[recorder],
    )
    steps = len(recorder.rates) // 3
    assert steps == 4  # 64 smoke examples in batches of 16.
    for step, rate in recorder.rates:
        assert rate == pytest.approx(cosine(step, 0.01, 3, 3 * steps), abs=1e-7)
    assert result.metrics["history"]["learning_rate"][-1] == pytest.approx(
        cosine(3 * steps, 0.01, 3, 3 * steps), abs=1e-7)


def test_plateau_lowers_the_rate_after_patience_epochs(tmp_path):
    result = smoke(tmp_path, Sabotage(start=2), epochs=5, lr_schedule="plateau",
                   lr_patience=1, lr_factor=0.25)
    rates = result.metrics["history"]["learning_rate"]
    # Epoch 1 is the best; epochs 2.. are not: after each one, the rate falls.
    assert rates[0] == pytest.approx(0.01)
    assert rates[1] == pytest.approx(0.01)
    assert rates[2] == pytest.approx(0.0025)
    assert rates[3] == pytest.approx(0.000625)


def write(path, lines):
    path.write_text("".join(lines), encoding="utf-8")
    return str(path)


def texts(dataset, vectorizer):
    words = vectorizer.get_vocabulary()
    found = set()
    for inputs, _ in dataset:
        for row in inputs["token_ids"].numpy():
            found.add(" ".join(words[i] for i in row if i))
    return found


def test_a_single_eval_file_is_the_test_split_never_the_validation(tmp_path):
    train = write(tmp_path / "train.tsv", [
        f"train film {i % 50} {i // 50}\t{'pos' if i % 2 else 'neg'}\n" for i in range(200)])
    test = write(tmp_path / "test.tsv", [f"film train {i}\t{'pos' if i % 2 else 'neg'}\n"
                                         for i in range(20)])
    task = rz_data.from_files("classification", train, test, tokens="word", batch_size=8)
    vectorizer = task.vectorizers["tokens"]
    validation = texts(task.validation, vectorizer)
    assert validation and all(t.startswith("train film") for t in validation)
    assert texts(task.test, vectorizer) == {f"film train {i}" for i in range(20)}  # In vocabulary.
    training = texts(task.train, vectorizer)
    assert not validation & training and len(validation) + len(training) == 200
    assert "test.tsv" not in task.info["validation"] and task.info["test"].endswith("test.tsv")


def test_a_language_model_validates_on_the_tail_of_its_training_text(tmp_path):
    train = write(tmp_path / "train.txt", ["a" * 950 + "b" * 50])
    test = write(tmp_path / "test.txt", ["c" * 200])
    task = rz_data.from_files("language_model", train, test, batch_size=2, max_length=10)
    assert task.info["split_characters"] == {"train": 950, "validation": 50, "test": 200}


@pytest.mark.parametrize("max_steps", [2, 100, 1000])
def test_chrono_lstm_biases(max_steps):
    # Zero recurrent weights: an orthogonal 4000 x 16000 matrix takes a minute.
    cell = layers.LSTMCell(4000, chrono_max_steps=max_steps, recurrent_initializer="zeros",
                           seed=0)
    cell.build((None, 3))
    i, f, c, o = np.split(keras.ops.convert_to_numpy(cell.bias), 4)
    np.testing.assert_allclose(i, -f)
    assert (c == 0).all() and (o == 0).all()
    u = np.exp(f)  # ~ U(1, max_steps - 1)
    top = max(max_steps - 1, 1)
    assert u.min() >= 1 - 1e-5 and u.max() <= top + 1e-3
    if top > 1:
        assert np.mean(u) == pytest.approx((1 + top) / 2, rel=0.03)
        assert np.quantile(u, 0.25) == pytest.approx(1 + 0.25 * (top - 1), rel=0.05)


@pytest.mark.parametrize("reset_after", [True, False])
def test_chrono_gru_update_gate_biases(reset_after):
    cell = layers.GRUCell(4000, chrono_max_steps=200, reset_after=reset_after, seed=0,
                          recurrent_initializer="zeros")
    cell.build((None, 3))
    bias = keras.ops.convert_to_numpy(cell.bias)
    input_bias = bias[0] if reset_after else bias
    z, rest = input_bias[:4000], input_bias[4000:]
    assert (rest == 0).all() and (not reset_after or (bias[1] == 0).all())
    u = np.exp(z)
    assert u.min() >= 1 - 1e-5 and u.max() <= 199 + 1e-3
    assert np.mean(u) == pytest.approx(100, rel=0.03)


def test_chrono_is_off_by_default_and_needs_a_gated_cell():
    cell = layers.LSTMCell(8)
    cell.build((None, 3))
    np.testing.assert_array_equal(np.split(keras.ops.convert_to_numpy(cell.bias), 4)[1], 1.0)
    with pytest.raises(ValueError, match="chrono_max_steps"):
        layers.LSTMCell(8, chrono_max_steps=1)
    from rnnzoo import models

    with pytest.raises(ValueError, match="needs cell='lstm' or 'gru'"):
        models.SequenceTagger(cell="elman", num_tags=3, vocabulary_size=5, chrono_max_steps=9)
    layer = layers.GRU(4, chrono_max_steps=50)
    assert layers.GRU.from_config(layer.get_config()).cell.chrono_max_steps == 50


def test_a_run_on_a_tiny_file_stops_early_by_default(tmp_path, monkeypatch):
    from rnnzoo.train import user_defaults

    # The rule's table, with a short patience: the run stops by the rule's
    # patience, whatever its tuned values.
    rule = user_defaults.Rule("examples", ((None, {"patience": 2, "epochs": 50}),))
    monkeypatch.setitem(user_defaults.RULES, "classification", rule)
    path = tmp_path / "reviews.tsv"
    path.write_text("".join(f"{w} film {i}\t{w}\n" for i in range(20) for w in ("good", "bad")))
    result = run(find_recipe("imdb_sentiment"),
                 {"data": str(path), "units": 8, "batch_size": 8, "learning_rate": 0.01,
                  "output_dir": str(tmp_path)}, verbose=0, callbacks=[Sabotage(start=2)])
    selection = result.metrics["selection"]
    assert (selection["stopped"], selection["converged"]) == ("patience", True)
    assert (selection["patience"], selection["epoch"], selection["epochs_done"]) == (2, 1, 3)
    assert result.metrics["run"]["data_size_rule"]["applied"] == {"patience": 2, "epochs": 50}
