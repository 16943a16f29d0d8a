"""The run folder: resolved config, lock, per-epoch checkpoints, metrics.

```
RUN_DIR/
  config.json          the resolved settings (written once; a different
                       config is refused)
  metrics.json         per-epoch history, the selected epoch, and held-out
                       metrics under "test"
  checkpoints/
    epoch-N.weights.h5 weights and optimizer state after the last epoch,
                       and after the best epoch so far
    state.json         epochs done, history, selection and schedule state,
                       random states: all a resumed run needs
  model.keras          the trained model (the selected epoch's weights)
  vectorizers.json     the preprocessing layers (vocabularies) of the data
  log.txt              errors the run met, with their tracebacks
  logs/                TensorBoard
```

Every file is written to a temporary name and renamed into place, so a run
killed at any moment leaves either the old file or the new one. This is the
one module that reads and writes a run folder: training writes it, and
evaluation, generation, export and plots read it through `RunFolder`.
"""

import fcntl
import json
import math
import os
import time

import keras
import numpy as np

from rnnzoo.errors import UsageError


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


def read_json_if_exists(path):
    """The JSON value in `path`, or `None` if there is no such file."""
    return read_json(path) if os.path.exists(path) else None


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


def _newer_than_the_run(key, old, new):
    """Whether a difference is only a record newer than the run: a setting at
    its default, or a data fact the run's version did not write down (it
    changes nothing the run did)."""
    from rnnzoo.train.recipe import SETTINGS

    if old is not None:
        return False
    if key.startswith("data."):
        return True
    name = key.removeprefix("settings.")
    return name in SETTINGS and new == SETTINGS[name].default


class RunFolderError(UsageError):
    """The run folder cannot be used as asked: it holds another run, another
    process holds it, or it is not a (finished) run folder."""


class RunFolderNotFoundError(RunFolderError, FileNotFoundError):
    """The path is not a run folder, or not a finished one (also a
    `FileNotFoundError`)."""


class RunFolder:
    """A run folder: read it, or lock it with `open()` to write a run."""

    def __init__(self, path):
        self.path = os.path.abspath(path)
        self.checkpoints = os.path.join(self.path, "checkpoints")
        self._lock = None

    def file(self, name):
        return os.path.join(self.path, name)

    # Writing a run.

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
        found = [("config", None, config)]
        if os.path.exists(path):
            found = differences(read_json(path), json_round_trip(config))
            changed = [c for c in found if not _newer_than_the_run(*c)]
            if changed:
                self.close()
                details = ", ".join(f"{k}: {a!r} -> {b!r}" for k, a, b in changed)
                raise RunFolderError(
                    f"Run folder {self.path} holds a run with another config "
                    f"({details}). Use another --output-dir or --run-dir, or "
                    "delete the folder."
                )
        if found:
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

    def state(self):
        """The checkpoint state (`{}` before the first epoch ends)."""
        path = os.path.join(self.checkpoints, "state.json")
        return read_json(path) if os.path.exists(path) else {}

    def restore(self, model, state):
        """Loads the last checkpoint of `state` into `model` (weights,
        optimizer, dropout random state)."""
        if not state:
            return
        if model.optimizer is not None and not model.optimizer.built:
            model.optimizer.build(model.trainable_variables)
        model.load_weights(os.path.join(self.checkpoints, state["weights"]))
        for variable, value in zip(seed_states(model), state.get("seed_states", [])):
            variable.assign(np.asarray(value, dtype=variable.dtype))

    def load_selected(self, model, state):
        """Loads the weights of the selected (best) epoch into `model`."""
        model.load_weights(os.path.join(self.checkpoints, state["best_weights"]))

    def write_metrics(self, **entries):
        metrics = self.metrics()
        metrics.update(entries)
        write_json(self.file("metrics.json"), metrics)

    def save_model(self, model):
        """Writes `model.keras` atomically."""
        tmp = self.file("model-tmp.keras")
        model.save(tmp)
        os.replace(tmp, self.file("model.keras"))

    def save_vectorizers(self, vectorizers):
        write_json(
            self.file("vectorizers.json"),
            {k: keras.saving.serialize_keras_object(v) for k, v in vectorizers.items()},
        )

    def log_error(self, message):
        """Appends `message` (a traceback) to `log.txt`; returns its path."""
        os.makedirs(self.path, exist_ok=True)
        with open(self.file("log.txt"), "a") as f:
            f.write(message.rstrip() + "\n")
        return self.file("log.txt")

    # Reading a run.

    def exists(self):
        return os.path.exists(self.file("config.json"))

    def config(self):
        path = self.file("config.json")
        if not os.path.isdir(self.path):
            raise RunFolderNotFoundError(
                f"{self.path} is not a finished rnnzoo run folder: there is no such "
                "folder (`rnnzoo train RECIPE` writes runs/RECIPE)."
            )
        if not os.path.exists(path):
            raise RunFolderNotFoundError(
                f"{self.path} is not an rnnzoo run folder: it holds no config.json."
            )
        from rnnzoo.train.recipe import SETTINGS

        config = read_json(path)
        if "settings" in config:  # A setting newer than the run: its default.
            config["settings"] = {**{k: s.default for k, s in SETTINGS.items()},
                                  **config["settings"]}
        return config

    def metrics(self):
        path = self.file("metrics.json")
        return read_json(path) if os.path.exists(path) else {}

    def is_finished(self):
        return "test" in self.metrics() and os.path.exists(self.file("model.keras"))

    def load_model(self):
        """The trained model (safe mode: no code from the file runs),
        compiled with its pattern's defaults (the metrics rnnzoo reports
        now, whatever version saved it)."""
        path = self.file("model.keras")
        if not os.path.exists(path):
            self.config()  # Not a run folder at all: says so.
            raise RunFolderNotFoundError(
                f"{self.path} is not a finished rnnzoo run folder: it holds no "
                "model.keras yet (finish the run with the same `rnnzoo train` command)."
            )
        import rnnzoo.models  # noqa: F401 (registers the classes the file names)

        model = keras.saving.load_model(path, safe_mode=True, compile=False)
        model.compile()
        return model

    def vectorizers(self):
        path = self.file("vectorizers.json")
        if not os.path.exists(path):
            return {}
        return {
            k: keras.saving.deserialize_keras_object(v) for k, v in read_json(path).items()
        }

    def serving_context(self, **decode):
        """The `ServingContext` of this run: its vocabularies, what its data
        did to inputs and the form they had, its decoding settings,
        overridden by `decode`."""
        from rnnzoo.models.serving import ServingContext
        from rnnzoo.models.serving import MAX_SERVED_TOKENS
        from rnnzoo.models.serving import decode_defaults

        config = self.config()
        settings, data = config["settings"], config["data"]
        return ServingContext(
            vectorizers=self.vectorizers(),
            label_names=data.get("label_names"),
            tokens=data.get("tokens") or settings.get("tokens") or "char",
            max_input_tokens=settings.get("max_input_tokens") or MAX_SERVED_TOKENS,
            reverse_source=bool(data.get("reverse_source")),
            mean=data.get("mean"),
            std=data.get("std"),
            input_form=data.get("input_form"),
            domain=data.get("domain"),
            decode={**{k: settings.get(k) for k in decode_defaults()},
                    **{k: v for k, v in decode.items() if v is not None}},
        )


def seed_states(model):
    """The states of the model's random seed generators (dropout), which
    `save_weights` leaves out but an exact resume needs."""
    return [v for v in model.non_trainable_variables if v.path.endswith("seed_generator_state")]


class EpochCheckpoint(keras.callbacks.Callback):
    """Saves weights, optimizer state, history and selection every epoch.

    The weights go to a new file first, then `state.json` is replaced to
    point at it (and at the best epoch's file), then files no longer named
    there are removed: a run killed at any moment resumes from the last
    epoch that completed. An epoch whose metrics are not finite is not
    saved: the run stops, keeping the last good checkpoint.

    Args:
        folder: the `RunFolder`.
        state: the checkpoint state to continue (`{}` for a new run).
        selection: the run's `Selection`, updated every epoch; with
            patience, it stops training.
        plateau: the run's `ResumablePlateau`, or `None`.
    """

    def __init__(self, folder, state, selection, plateau=None):
        super().__init__()
        self.folder = folder
        self.history = {k: list(v) for k, v in state.get("history", {}).items()}
        self.best_weights = state.get("best_weights")
        self.train_seconds = state.get("train_seconds", 0.0)
        self.selection = selection
        self.plateau = plateau
        self.stopped_on_nan = None
        self._started = None

    def on_epoch_begin(self, epoch, logs=None):
        self._started = time.monotonic()

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        if not all(math.isfinite(float(v)) for v in logs.values()):
            self.stopped_on_nan = epoch + 1
            self.model.stop_training = True
            return
        logs.setdefault("learning_rate", float(keras.ops.convert_to_numpy(
            self.model.optimizer.learning_rate)))
        for key, value in logs.items():
            self.history.setdefault(key, []).append(float(value))
        name = f"epoch-{epoch + 1}.weights.h5"
        self.model.save_weights(os.path.join(self.folder.checkpoints, name))
        if self.selection.update(epoch + 1, logs):
            self.best_weights = name
        if self._started is not None:
            self.train_seconds += time.monotonic() - self._started
        state = {
            "epoch": epoch + 1,
            "weights": name,
            "best_weights": self.best_weights,
            "history": self.history,
            "selection": self.selection.state(),
            "train_seconds": self.train_seconds,
            "plateau": self.plateau.state() if self.plateau else None,
            "seed_states": [np.asarray(v.value).tolist() for v in seed_states(self.model)],
        }
        write_json(os.path.join(self.folder.checkpoints, "state.json"), state)
        for old in os.listdir(self.folder.checkpoints):
            if old.endswith(".weights.h5") and old not in (name, self.best_weights):
                os.remove(os.path.join(self.folder.checkpoints, old))
        self.folder.write_metrics(history=self.history, epochs_done=epoch + 1,
                                  selection=self.selection.report(epoch + 1))
        if self.selection.stopped_early:
            self.model.stop_training = True
