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

from rnnzoo.train.recipe import find_recipe
from rnnzoo.train.engine import run

ARGS = ["train", "shakespeare_char", "--smoke", "--epochs", "4", "--units", "8", "--quiet"]


def rnnzoo(*args, failpoint=None):
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env.pop("RNNZOO_FAILPOINT", None)
    if failpoint:
        env["RNNZOO_FAILPOINT"] = failpoint
    return subprocess.Popen(
        [sys.executable, "-m", "rnnzoo.cli", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
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


# Where each kill lands (the run stops at a failpoint and writes a marker
# there), and what the run folder shows at that moment: no checkpoint yet
# while loading; epoch 2 checkpointed, epoch 3 half done; epoch 2
# checkpointed, epoch 3 not begun; every epoch done, no test metrics yet.
KILL_POINTS = {
    "loading": ("loading", 0),
    "mid_epoch": ("mid_epoch@3", 2),
    "between_epochs": ("between_epochs@2", 2),
    "evaluating": ("evaluating", 4),
}


@pytest.mark.parametrize("point", sorted(KILL_POINTS))
def test_sigkill_then_the_same_command_gives_the_uninterrupted_result(
        point, uninterrupted, tmp_path):
    run_dir = str(tmp_path / "shakespeare_char")
    args = [*ARGS, "--output-dir", str(tmp_path)]
    where, epochs = KILL_POINTS[point]
    marker = tmp_path / "marker.json"
    process = rnnzoo(*args, failpoint=f"{where}:{marker}")
    assert wait_for(marker.exists, process), "the run never reached " + where
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert json.loads(marker.read_text())["phase"] == point
    assert epochs_done(run_dir) == epochs
    metrics = os.path.join(run_dir, "metrics.json")
    assert not os.path.exists(metrics) or "test" not in json.load(open(metrics))
    process = rnnzoo(*args)
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, err[-2000:]
    if epochs:
        assert f"resuming {run_dir} after epoch {epochs} of 4" in out
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
from rnnzoo.export.saved_model import export_run
export_run(sys.argv[1], base_dir=sys.argv[2])
"""


def test_sigkill_during_export_leaves_no_loadable_half_version(tmp_path):
    import tensorflow as tf

    result = run(find_recipe("addition"),
                 {"smoke": True, "output_dir": str(tmp_path), "data_dir": str(tmp_path / "tfds")},
                 verbose=0)
    base = tmp_path / "saved"
    marker = tmp_path / "marker.json"
    env = dict(os.environ, RNNZOO_FAILPOINT=f"exporting:{marker}")
    process = subprocess.Popen([sys.executable, "-c", EXPORT, result.run_dir, str(base)], env=env)
    assert wait_for(marker.exists, process), "the export never reached its failpoint"
    # The SavedModel is written, its card not yet, nothing renamed into place.
    hidden = [v for v in os.listdir(base / "addition") if v.startswith(".tmp-")]
    assert hidden and os.path.exists(base / "addition" / hidden[0] / "saved_model.pb")
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert not [v for v in os.listdir(base / "addition") if v.isdigit()]
    env.pop("RNNZOO_FAILPOINT")
    process = subprocess.run([sys.executable, "-c", EXPORT, result.run_dir, str(base)],
                             capture_output=True, text=True, timeout=300, env=env)
    assert process.returncode == 0, process.stderr[-2000:]
    assert sorted(os.listdir(base / "addition")) == ["1"]
    tf.saved_model.load(str(base / "addition" / "1"))
