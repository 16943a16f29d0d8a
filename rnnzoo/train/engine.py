"""The training engine: runs a `Recipe` and leaves a run folder.

Every run trains at most `epochs` epochs (a ceiling), keeps the weights of
the epoch with the best validation metric (`select_on`), stops early after
`patience` epochs without improvement, says when it reached the ceiling
while still improving (`rnnzoo.train.selection`), and evaluates the test
split once, at the end, on the selected weights. On the user's files
(`--data`), the settings the user did not give fit the size of the data
(`rnnzoo.train.user_defaults`).
"""

import contextlib
import dataclasses
import datetime
import os
import shutil
import tempfile
import time
import warnings

import keras

from rnnzoo import __version__
from rnnzoo.train import distribute
from rnnzoo.train import init_from
from rnnzoo.train import schedules
from rnnzoo.train.callbacks import diagnostics_callbacks
from rnnzoo.errors import UsageError
from rnnzoo.train.evaluation import held_out_metrics
from rnnzoo.train.failpoints import failpoint
from rnnzoo.train.user_defaults import resolve_for_data
from rnnzoo.registry import model_preset
from rnnzoo.train.run_data import data_facts
from rnnzoo.train.run_data import load_data
from rnnzoo.train.run_folder import EpochCheckpoint
from rnnzoo.train.run_folder import RunFolder
from rnnzoo.train.selection import Selection
from rnnzoo.train.selection import check_select_on

MODEL_SETTINGS = ("cell", "units", "num_layers", "dropout")
GATED_CELLS = ("lstm", "gru")


@dataclasses.dataclass
class RunResult:
    """What a run left: its folder, its metrics and the trained model."""

    run_dir: str
    metrics: dict
    model: keras.Model
    resumed_from: int = 0
    trained: bool = True


@contextlib.contextmanager
def finite_passes():
    """Keras quiet about the end of a dataset of unknown length.

    Every rnnzoo pass (a training epoch, an evaluation) reads a finite
    dataset to its end; Keras would warn there that the input "ran out of
    data" and that training is interrupted, which is not the case.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Your input ran out of data")
        yield


def model_arguments(recipe, settings, task_data):
    """The registered preset and every constructor argument of the model:
    the preset's, the recipe's, the settings', and the data's (which the
    model class says)."""
    model_class, preset = model_preset(settings["model"])
    if task_data.task not in model_class.TASKS:
        raise UsageError(
            f"Setting `model` {settings['model']!r} is a {model_class.__name__}, which trains "
            f"on {' or '.join(model_class.TASKS)} data; this run's data is {task_data.task}. "
            "`rnnzoo list models` lists the presets."
        )
    arguments = {**preset, **recipe.model_config}
    arguments.update({k: settings[k] for k in MODEL_SETTINGS if settings[k] is not None})
    arguments.update(model_class.data_arguments(task_data))
    if settings["chrono"] and arguments.get("cell") in GATED_CELLS:
        arguments["chrono_max_steps"] = settings["chrono_steps"] or task_data.max_length
    return model_class, arguments


def run_config(recipe, settings, model_class, model_kwargs, task_data):
    """The run's resolved configuration, saved as `config.json`."""
    return {
        "recipe": recipe.name,
        "task": model_kwargs["task"],
        "settings": settings,
        "data": data_facts(task_data),
        "dataset_config": recipe.dataset_config,
        "model_class": model_class.__name__,
        "model_config": model_kwargs,
        "metrics": list(recipe.metrics),
        "rnnzoo_version": __version__,
    }


def report_long_examples(settings, task_data):
    """Says how many examples the data cut to `max_input_tokens`."""
    long = {k: v for k, v in task_data.info.get("longer_than_max_length", {}).items() if v}
    if long:
        counts = ", ".join(f"{n} {split}" for split, n in long.items())
        print(f"note: {counts} example(s) had more than max_input_tokens="
              f"{settings['max_input_tokens']} tokens and were cut to it.")


def check_batch_size(settings, task_data):
    """Refuses a batch larger than the training split, where it is known."""
    examples = task_data.info.get("split_sizes", {}).get("train")
    if examples is not None and settings["batch_size"] > examples:
        raise UsageError(
            f"Setting `batch_size` ({settings['batch_size']}) is larger than the "
            f"{examples} training examples; use --batch-size {examples} or less."
        )


def run_directory(recipe, settings):
    return settings["run_dir"] or os.path.join(settings["output_dir"], recipe.name)


def build_model(model_class, model_kwargs, settings):
    """The model; settings that cannot build one are the user's mistake."""
    try:
        return model_class(**model_kwargs)
    except ValueError as error:
        given = ", ".join(f"--{k.replace('_', '-')} {settings[k]}"
                          for k in ("model", *MODEL_SETTINGS) if settings[k] is not None)
        raise UsageError(f"These settings cannot build the model ({given}): {error}") from error


def count_batches(dataset):
    """The number of batches of a finite dataset (one pass over it)."""
    return int(dataset.reduce(0, lambda count, _: count + 1))


def phase(verbose, message):
    """Says what the run is doing (one line, flushed)."""
    if verbose:
        print(f"[rnnzoo] {message}", flush=True)


class StopAfterEpoch(keras.callbacks.Callback):
    """Ends `fit` after one epoch: the engine feeds each epoch its own data
    order (`TaskData.train_for_epoch`), one `fit` call per epoch. Also the
    place of the failpoints inside and between epochs."""

    def on_train_batch_end(self, batch, logs=None):
        if batch == 0:  # Trained on, not checkpointed.
            failpoint("mid_epoch", self._epoch + 1)

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        self.model.stop_training = True
        failpoint("between_epochs", epoch + 1)


def run(recipe, overrides=None, verbose=1, callbacks=(), command=None):
    """Trains `recipe` with `overrides` of its settings; returns a `RunResult`.

    Running the same recipe and settings again resumes from the last
    completed epoch (a finished run is only re-evaluated); a run folder
    holding another config is refused. Under `multi_worker`, only the chief
    writes the run folder; the other workers write to a temporary folder
    and resume from the chief's checkpoints. `command`, the command line
    that ran it, is recorded in `metrics.json` with the times.
    """
    started = time.time()
    settings, fit = resolve_for_data(recipe, overrides)
    keras.utils.set_random_seed(settings["seed"])
    strategy = distribute.make_strategy(settings["strategy"])
    start = None
    if settings["init_from"]:
        phase(verbose, f"loading {settings['init_from']} to start from")
        start = init_from.find_start(settings["init_from"])
        init_from.check_task(start, model_preset(settings["model"])[0], recipe.task,
                             from_files=bool(settings["data"]))
        settings = init_from.check_settings(start, settings, overrides or {})
    if fit:
        phase(verbose, fit.describe())
    phase(verbose, "loading data")
    task_data = load_data(recipe, settings, start.vectorizers if start else None)
    failpoint("loading")
    check_batch_size(settings, task_data)
    report_long_examples(settings, task_data)
    model_class, model_kwargs = model_arguments(recipe, settings, task_data)
    if start:
        model_kwargs = init_from.model_arguments(
            start, model_class.data_arguments(task_data), settings["dropout"])
    config = run_config(recipe, settings, model_class, model_kwargs, task_data)
    if start:
        config["init_from"] = {**start.record(), **report_vocabulary(start, task_data)}
    run_dir = run_directory(recipe, settings)
    chief = distribute.is_chief()
    folder_path = run_dir if chief else tempfile.mkdtemp(prefix="rnnzoo-worker-")
    policy = keras.config.dtype_policy()
    keras.config.set_dtype_policy(
        distribute.precision_policy(settings["mixed_precision"], strategy)
    )
    # Again: preparing a dataset in this process draws random numbers, and
    # the model's initial weights must not depend on whether it did.
    keras.utils.set_random_seed(settings["seed"])
    try:
        with strategy.scope():  # Before the run folder: a mistake leaves none.
            model = build_model(model_class, model_kwargs, settings)
        with RunFolder(folder_path).open(config) as folder:
            result = _train(recipe, settings, strategy, task_data, model,
                            folder, RunFolder(run_dir), verbose, callbacks, start)
            if result.trained:
                folder.write_metrics(run={
                    "command": command,
                    "finished": datetime.datetime.now(datetime.timezone.utc).isoformat(
                        timespec="seconds"),
                    "train_seconds": round(folder.state().get("train_seconds", 0.0), 1),
                    "wall_seconds": round(time.time() - started, 1),
                    "resumed_after_epoch": result.resumed_from,
                    "init_from": config.get("init_from"),
                    **({"data_size_rule": fit.record()} if fit else {}),
                })
                result.metrics = folder.metrics()
            return result
    finally:
        keras.config.set_dtype_policy(policy)
        if not chief:
            shutil.rmtree(folder_path, ignore_errors=True)


def _train(recipe, settings, strategy, task_data, model, folder, chief_folder, verbose,
           callbacks, start=None):
    replicas = strategy.num_replicas_in_sync

    def prepare(model, split):
        return distribute.trim_batches(split.map(lambda x, y: (model.data_inputs(x), y)),
                                       replicas)

    state = chief_folder.state()
    if state and chief_folder.is_finished():
        phase(verbose, f"{chief_folder.path} holds this run, finished after epoch "
                       f"{state['epoch']}: nothing to train; its results:")
        return RunResult(chief_folder.path, chief_folder.metrics(),
                         chief_folder.load_model(), state["epoch"], trained=False)
    with strategy.scope():
        steps = count_batches(prepare(model, task_data.train_for_epoch(0)))
        if settings["steps_per_epoch"]:
            steps = min(steps, settings["steps_per_epoch"])
        model.compile(
            optimizer=keras.optimizers.Adam(
                schedules.learning_rate(settings, steps), clipnorm=settings["clipnorm"]
            ),
            jit_compile=settings["jit_compile"],
        )
        chief_folder.restore(model, state)
        if start and not state:  # Resumed runs restore their own checkpoint.
            fresh = init_from.initialize(model, start, task_data.label_names)
            phase(verbose, f"starting from the weights of {start.given} ({start.kind})" + (
                f"; a new output layer for the labels {task_data.label_names} (it was "
                f"trained on {start.label_names}): {', '.join(fresh)}" if fresh else ""))
    available = ["val_loss"] + [f"val_{m.name}" for m in model.default_metrics()]
    selection = Selection.from_state(
        state.get("selection"), check_select_on(settings["select_on"], available),
        settings["patience"], settings["min_delta"], settings["target"], settings["epochs"],
    )
    plateau = schedules.plateau_callback(settings)
    if plateau:
        plateau.restore(state.get("plateau"))
    done = state.get("epoch", 0)
    if done:
        phase(verbose, f"resuming {chief_folder.path} after epoch {done} of {settings['epochs']}")
    else:
        phase(verbose, f"training into {chief_folder.path}")
    validation = distribute.shard(prepare(model, task_data.validation))
    checkpoint = EpochCheckpoint(folder, state, selection, plateau)
    every = settings["gradient_flow"]
    diagnostics = diagnostics_callbacks(
        model, next(iter(prepare(model, task_data.validation))), folder.path, every
    ) if every else []
    epoch_callbacks = [
        keras.callbacks.TerminateOnNaN(),
        *([plateau] if plateau else []),
        *diagnostics,
        checkpoint,
        keras.callbacks.TensorBoard(folder.file("logs")),
        StopAfterEpoch(),
        *callbacks,
    ]
    with finite_passes():
        for epoch in range(done, settings["epochs"]):
            if selection.stopped_early:
                break
            train = prepare(model, task_data.train_for_epoch(epoch))
            epoch_steps = steps if epoch == 0 else count_batches(train)
            model.fit(
                distribute.shard(train),
                validation_data=validation,
                epochs=settings["epochs"],
                initial_epoch=epoch,
                steps_per_epoch=min(epoch_steps, settings["steps_per_epoch"] or epoch_steps),
                shuffle=False,  # The data order is the pipeline's, per epoch.
                callbacks=epoch_callbacks,
                verbose=verbose,
            )
            if checkpoint.stopped_on_nan:
                break
    if checkpoint.stopped_on_nan:
        raise_on_nan(checkpoint.stopped_on_nan, chief_folder)
    if selection.reached_target:
        phase(verbose, f"solved: {selection.on} reached the target {selection.target:g}")
    elif selection.stopped_early:
        phase(verbose, f"stopped early: {selection.on} did not improve for {selection.wait} epochs")
    final = folder.state()
    note = selection.not_converged_note(final["epoch"])
    if note:
        print(note, flush=True)
    folder.load_selected(model, final)
    phase(verbose, f"selected epoch {selection.epoch} ({selection.on} {selection.value:.4f}); "
                   "evaluating it on the test split")
    folder.save_model(model)
    folder.save_vectorizers(task_data.vectorizers)
    if replicas > 1:  # Every test example, on one device.
        model = folder.load_model()
    failpoint("evaluating")
    with finite_passes():
        test = held_out_metrics(model, task_data, recipe, settings)
    folder.write_metrics(test=test, history=checkpoint.history,
                         selection=selection.report(final["epoch"]))
    return RunResult(chief_folder.path, folder.metrics(), model, done)


def report_vocabulary(start, task_data):
    """Says how many training tokens the trained model's vocabulary lacks
    (they map to the out-of-vocabulary id); returns the counts."""
    unknown, total = init_from.out_of_vocabulary(task_data.train)
    share = unknown / total if total else 0.0
    print(f"note: {unknown:,} of {total:,} training tokens ({share:.2%}) are not in the "
          f"vocabulary of {start.given}; they map to the out-of-vocabulary id.")
    return {"out_of_vocabulary_tokens": unknown, "training_tokens": total,
            "out_of_vocabulary_share": round(share, 6)}


def raise_on_nan(epoch, folder):
    good = epoch - 1
    kept = (
        f"the checkpoint of epoch {good}, the last good one, is kept in "
        f"{folder.checkpoints}" if good else "no epoch had finished, nothing was saved"
    )
    raise FloatingPointError(
        f"The loss became NaN or infinite in epoch {epoch}; training stopped "
        f"and {kept}. Try a lower --learning-rate or --clipnorm."
    )
