"""The run folder: resolved config, lock, per-epoch checkpoints, metrics.

```
RUN_DIR/
  config.json          the resolved settings (written once; a different
                       config is refused)
  metrics.json         per-epoch history, and held-out metrics under "test"
  checkpoints/
    last.weights.h5    weights and optimizer state after the last epoch
    state.json         the epochs done and the history, for resuming
  model.keras          the trained model
  vectorizers.json     the preprocessing layers (vocabularies) of the data
  logs/                TensorBoard
```

Every file is written to a temporary name and renamed into place, so a run
killed at any moment leaves either the old file or the new one.
"""

import fcntl
import json
import math
import os

import keras
import numpy as np


def write_json(path, value):
    """Writes `value` as JSON to `path` atomically."""
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        json.dump(value, f, indent=2, sort_keys=True, default=_jsonable)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def read_json(path):
    with open(path) as f:
        return json.load(f)


def _jsonable(value):
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"Not JSON serializable: {value!r}")


def json_round_trip(value):
    """`value` as it reads back from JSON (tuples become lists...)."""
    return json.loads(json.dumps(value, default=_jsonable))


def differences(old, new, prefix=""):
    """`[(key path, old value, new value)]` for every leaf that differs."""
    if not (isinstance(old, dict) and isinstance(new, dict)):
        return [] if old == new else [(prefix or "config", old, new)]
    found = []
    for key in sorted(set(old) | set(new)):
        path = f"{prefix}.{key}" if prefix else key
        found += differences(old.get(key), new.get(key), path)
    return found


class RunFolderError(ValueError):
    """The run folder cannot take this run."""


class RunFolder:
    """A run folder, locked for the lifetime of the object's `open()`."""

    def __init__(self, path):
        self.path = os.path.abspath(path)
        self.checkpoints = os.path.join(self.path, "checkpoints")
        self._lock = None

    def file(self, name):
        return os.path.join(self.path, name)

    def open(self, config):
        """Creates or reopens the folder for `config` and locks it.

        Raises `RunFolderError` if the folder holds a run with another
        config, or if another process holds it.
        """
        os.makedirs(self.checkpoints, exist_ok=True)
        self._lock = open(self.file(".lock"), "w")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            self._lock = None
            raise RunFolderError(
                f"Run folder {self.path} is in use by another rnnzoo process."
            ) from None
        path = self.file("config.json")
        if os.path.exists(path):
            changed = differences(read_json(path), json_round_trip(config))
            if changed:
                self.close()
                details = ", ".join(f"{k}: {a!r} -> {b!r}" for k, a, b in changed)
                raise RunFolderError(
                    f"Run folder {self.path} holds a run with another config "
                    f"({details}). Use another --output-dir or --run-dir, or "
                    "delete the folder."
                )
        else:
            write_json(path, config)
        return self

    def close(self):
        if self._lock is not None:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def restore(self, model):
        """Loads the last checkpoint into `model`; returns `(epochs done,
        history)`, `(0, {})` for a new run."""
        state_path = os.path.join(self.checkpoints, "state.json")
        if not os.path.exists(state_path):
            return 0, {}
        state = read_json(state_path)
        if model.optimizer is not None and not model.optimizer.built:
            model.optimizer.build(model.trainable_variables)
        model.load_weights(os.path.join(self.checkpoints, state["weights"]))
        for variable, value in zip(seed_states(model), state.get("seed_states", [])):
            variable.assign(np.asarray(value, dtype=variable.dtype))
        return state["epoch"], state["history"]

    def metrics(self):
        path = self.file("metrics.json")
        return read_json(path) if os.path.exists(path) else {}

    def write_metrics(self, **entries):
        metrics = self.metrics()
        metrics.update(entries)
        write_json(self.file("metrics.json"), metrics)


def seed_states(model):
    """The states of the model's random seed generators (dropout), which
    `save_weights` leaves out but an exact resume needs."""
    return [v for v in model.non_trainable_variables if v.path.endswith("seed_generator_state")]


class EpochCheckpoint(keras.callbacks.Callback):
    """Saves weights, optimizer state and history after every epoch.

    The weights go to a new file first, then `state.json` is replaced to
    point at it: a run killed at any moment resumes from the last epoch
    that completed. An epoch whose loss is not finite is not saved: the run
    stops, keeping the last good checkpoint.
    """

    def __init__(self, folder, history=None):
        super().__init__()
        self.folder = folder
        self.history = {k: list(v) for k, v in (history or {}).items()}
        self.stopped_on_nan = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if not all(math.isfinite(float(v)) for v in logs.values()):
            self.stopped_on_nan = epoch + 1
            self.model.stop_training = True
            return
        for key, value in logs.items():
            self.history.setdefault(key, []).append(float(value))
        name = f"epoch-{epoch + 1}.weights.h5"
        self.model.save_weights(os.path.join(self.folder.checkpoints, name))
        state_path = os.path.join(self.folder.checkpoints, "state.json")
        previous = read_json(state_path)["weights"] if os.path.exists(state_path) else None
        write_json(
            state_path,
            {
                "epoch": epoch + 1,
                "weights": name,
                "history": self.history,
                "seed_states": [np.asarray(v.value).tolist() for v in seed_states(self.model)],
            },
        )
        if previous and previous != name:
            os.remove(os.path.join(self.folder.checkpoints, previous))
        self.folder.write_metrics(history=self.history, epochs_done=epoch + 1)
