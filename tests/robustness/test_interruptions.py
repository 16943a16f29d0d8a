"""Interrupted work loses nothing: SIGKILL at several points, concurrent
runs, NaN losses, interrupted exports."""

import json
import os
import signal
import subprocess
import sys
import time

import keras
import numpy as np
import pytest

from rnnzoo.recipe import find_recipe
from rnnzoo.training import run

ARGS = ["train", "shakespeare_char", "--smoke", "--epochs", "4", "--units", "8", "--quiet"]


def rnnzoo(*args):
    return subprocess.Popen(
        [sys.executable, "-m", "rnnzoo.cli", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def wait_for(condition, process, timeout=180):
    deadline = time.time() + timeout
    while time.time() < deadline and process.poll() is None:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def epochs_done(run_dir):
    path = os.path.join(run_dir, "checkpoints", "state.json")
    try:
        return json.load(open(path))["epoch"]
    except (OSError, ValueError):
        return 0


def results(run_dir):
    metrics = json.load(open(os.path.join(run_dir, "metrics.json")))
    return metrics["history"]["loss"], metrics["test"]["loss"]


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    base = tmp_path_factory.mktemp("whole")
    process = rnnzoo(*ARGS, "--output-dir", str(base))
    _, err = process.communicate(timeout=600)
    assert process.returncode == 0, err[-2000:]
    return results(str(base / "shakespeare_char"))


# Kill points: while loading data (before any checkpoint), just after epoch
# 2 was checkpointed, and while the final model is evaluated.
KILL_POINTS = {
    "loading": lambda run_dir: True,
    "after_epoch_2": lambda run_dir: epochs_done(run_dir) >= 2,
    "evaluating": lambda run_dir: os.path.exists(os.path.join(run_dir, "model.keras")),
}


@pytest.mark.parametrize("point", sorted(KILL_POINTS))
def test_sigkill_then_the_same_command_gives_the_uninterrupted_result(
        point, uninterrupted, tmp_path):
    run_dir = str(tmp_path / "shakespeare_char")
    args = [*ARGS, "--output-dir", str(tmp_path)]
    process = rnnzoo(*args)
    if point == "loading":
        time.sleep(1.0)
    else:
        assert wait_for(lambda: KILL_POINTS[point](run_dir), process), "never reached"
    process.send_signal(signal.SIGKILL)
    process.wait()
    process = rnnzoo(*args)
    _, err = process.communicate(timeout=600)
    assert process.returncode == 0, err[-2000:]
    history, test_loss = results(run_dir)
    want_history, want_test = uninterrupted
    np.testing.assert_allclose(history, want_history, rtol=1e-6)
    np.testing.assert_allclose(test_loss, want_test, rtol=1e-6)
    leftovers = [f for f in os.listdir(os.path.join(run_dir, "checkpoints")) if f.endswith(".tmp")]
    assert not leftovers


def test_a_second_run_into_a_busy_folder_is_refused(tmp_path):
    args = [*ARGS, "--output-dir", str(tmp_path)]
    first = rnnzoo(*args)
    assert wait_for(lambda: os.path.exists(tmp_path / "shakespeare_char" / "config.json"), first)
    second = rnnzoo(*args)
    _, err = second.communicate(timeout=300)
    assert second.returncode == 2 and "in use by another rnnzoo process" in err
    _, err = first.communicate(timeout=600)
    assert first.returncode == 0, err[-2000:]
    assert len(results(str(tmp_path / "shakespeare_char"))[0]) == 4


class PoisonAtEpoch(keras.callbacks.Callback):
    """Sets every weight to NaN when `epoch` begins."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            for variable in self.model.trainable_variables:
                variable.assign(keras.ops.full(variable.shape, float("nan")))


def test_a_nan_loss_stops_the_run_and_keeps_the_last_good_checkpoint(tmp_path):
    settings = {"smoke": True, "epochs": 5, "units": 8,
                "output_dir": str(tmp_path), "data_dir": str(tmp_path / "tfds")}
    with pytest.raises(FloatingPointError, match="NaN or infinite in epoch 3.*epoch 2"):
        run(find_recipe("shakespeare_char"), settings, verbose=0, callbacks=[PoisonAtEpoch(2)])
    run_dir = str(tmp_path / "shakespeare_char")
    assert epochs_done(run_dir) == 2
    state = json.load(open(os.path.join(run_dir, "checkpoints", "state.json")))
    assert all(np.isfinite(state["history"]["loss"]))
    assert not os.path.exists(os.path.join(run_dir, "model.keras"))


EXPORT = """
import sys
from rnnzoo.export import export_run
export_run(sys.argv[1], base_dir=sys.argv[2])
"""


def test_sigkill_during_export_leaves_no_loadable_half_version(tmp_path):
    import tensorflow as tf

    result = run(find_recipe("addition"),
                 {"smoke": True, "output_dir": str(tmp_path), "data_dir": str(tmp_path / "tfds")},
                 verbose=0)
    base = tmp_path / "saved"
    for delay in (1.0, 4.0, 7.0):
        process = subprocess.Popen([sys.executable, "-c", EXPORT, result.run_dir, str(base)])
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        for version in os.listdir(base / "addition") if (base / "addition").exists() else []:
            if version.isdigit():  # A version a server would load: complete.
                tf.saved_model.load(str(base / "addition" / version))
    process = subprocess.run([sys.executable, "-c", EXPORT, result.run_dir, str(base)],
                             capture_output=True, text=True, timeout=300)
    assert process.returncode == 0, process.stderr[-2000:]
    versions = [v for v in os.listdir(base / "addition") if v.isdigit()]
    assert versions
    for version in versions:
        tf.saved_model.load(str(base / "addition" / version))
