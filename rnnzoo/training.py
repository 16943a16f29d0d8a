"""The training engine: runs a `Recipe` and leaves a run folder."""

import contextlib
import dataclasses
import math
import os
import shutil
import tempfile
import warnings

import keras

from rnnzoo import __version__
from rnnzoo import data as rz_data
from rnnzoo import distribute
from rnnzoo import evaluation
from rnnzoo import models
from rnnzoo.diagnostics import diagnostics_callbacks
from rnnzoo.recipe import resolve
from rnnzoo.registry import model_preset
from rnnzoo.run_folder import EpochCheckpoint
from rnnzoo.run_folder import RunFolder
from rnnzoo.run_folder import write_json

MODEL_SETTINGS = ("cell", "units", "num_layers", "dropout")
FILE_KINDS = {"regression": "forecasting"}


@dataclasses.dataclass
class RunResult:
    """What a run left: its folder, its metrics and the trained model."""

    run_dir: str
    metrics: dict
    model: keras.Model


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


def load_data(recipe, settings):
    """The recipe's `TaskData`: its dataset, or the user's `--data` file."""
    common = dict(
        batch_size=settings["batch_size"],
        max_length=settings["max_length"],
        seed=settings["seed"],
    )
    if settings["data"]:
        eval_path = settings["eval_data"]
        if eval_path and "," in eval_path:
            eval_path = eval_path.split(",")
        return rz_data.from_files(
            FILE_KINDS.get(recipe.task, recipe.task),
            settings["data"],
            eval_path,
            tokens=settings["tokens"] or "char",
            **common,
        )
    dataset_config = dict(recipe.dataset_config)
    if settings["length"]:
        dataset_config["length"] = settings["length"]
    return rz_data.load(
        settings["dataset"],
        tokens=settings["tokens"],
        data_dir=settings["data_dir"],
        manual_dir=settings["manual_dir"],
        smoke=settings["smoke"],
        **common,
        **dataset_config,
    )


def data_arguments(model_class, task_data):
    """Constructor arguments of `model_class` that come from the data."""
    d = task_data
    if d.vocabulary_size:
        inputs = {"vocabulary_size": d.vocabulary_size}
    elif "features" in d.train.element_spec[0]:
        inputs = {"input_dim": d.train.element_spec[0]["features"].shape[-1]}
    else:
        inputs = {}
    if model_class is models.SequenceTagger:
        return {**inputs, "num_tags": d.num_tags or d.vocabulary_size}
    if model_class is models.SequenceClassifier:
        if d.task == "classification":
            return {**inputs, "num_classes": d.num_classes}
        return {**inputs, "output_dim": 1}
    if model_class is models.OutputFeedbackRNN:
        if d.vocabulary_size:
            return {"num_classes": d.vocabulary_size}
        return {"output_dim": 1}
    if model_class is models.Seq2Seq:
        return {
            "source_vocabulary_size": d.source_vocabulary_size,
            "target_vocabulary_size": d.target_vocabulary_size,
            "start_id": d.start_id,
            "end_id": d.end_id,
        }
    if model_class is models.SequenceGenerator:
        return {
            "vocabulary_size": d.target_vocabulary_size or d.vocabulary_size,
            "num_conditions": d.num_classes,
            "start_id": d.start_id,
            "end_id": d.end_id,
        }
    raise ValueError(f"No data arguments for {model_class.__name__}.")


def adapt_inputs(model, dataset):
    """Feeds the data's input dict to `model`'s inputs: a single input gets
    its tensor, and a model whose input is the previous target (an
    `OutputFeedbackRNN` on a language model) gets the input tokens there."""
    names = [t.name for t in model.inputs]
    if names == ["previous_targets"]:
        return dataset.map(
            lambda x, y: (x["token_ids"] if "token_ids" in x else x["features"], y)
        )
    if len(names) == 1:
        return dataset.map(lambda x, y: (x[names[0]], y))
    return dataset


def model_arguments(recipe, settings, task_data):
    """The registered preset and every constructor argument of the model."""
    name = settings["model"]
    model_class, preset = model_preset(name)
    arguments = {**preset, **recipe.model_config}
    arguments.update({k: settings[k] for k in MODEL_SETTINGS if settings[k] is not None})
    arguments.update(data_arguments(model_class, task_data))
    return model_class, arguments


def data_facts(task_data):
    """What serving needs to know of the data beyond its vectorizers."""
    return {
        "task": task_data.task,
        "label_names": task_data.label_names,
        "tokens": task_data.info.get("tokens"),
        "start_id": task_data.start_id,
        "end_id": task_data.end_id,
        "mean": task_data.mean,
        "std": task_data.std,
    }


def run_config(recipe, settings, model_class, model_kwargs, task_data):
    """The run's resolved configuration, saved as `config.json`."""
    return {
        "recipe": recipe.name,
        "task": recipe.task,
        "settings": settings,
        "data": data_facts(task_data),
        "dataset_config": recipe.dataset_config,
        "model_class": model_class.__name__,
        "model_config": model_kwargs,
        "metrics": list(recipe.metrics),
        "rnnzoo_version": __version__,
    }


def report_long_examples(settings, task_data):
    """Says how many examples the data cut to `max_length`."""
    long = {k: v for k, v in task_data.info.get("longer_than_max_length", {}).items() if v}
    if long:
        counts = ", ".join(f"{n} {split}" for split, n in long.items())
        print(f"note: {counts} example(s) had more than max_length="
              f"{settings['max_length']} tokens and were cut to it.")


def check_batch_size(settings, task_data):
    """Refuses a batch larger than the training split, where it is known."""
    examples = task_data.info.get("split_sizes", {}).get("train")
    if examples is not None and settings["batch_size"] > examples:
        raise ValueError(
            f"Setting `batch_size` ({settings['batch_size']}) is larger than the "
            f"{examples} training examples; use --batch-size {examples} or less."
        )


def run_directory(recipe, settings):
    return settings["run_dir"] or os.path.join(settings["output_dir"], recipe.name)


def test_metrics(model, task_data, recipe, settings):
    """Held-out metrics: Keras's (`loss`, `accuracy`...) and the recipe's."""
    test = adapt_inputs(model, task_data.test)
    with finite_passes():
        metrics = model.evaluate(test, verbose=0, return_dict=True)
    wanted = set(recipe.metrics)
    if wanted & {"exact_match", "bleu"}:
        metrics.update(evaluation.seq2seq_metrics(model, task_data, settings, wanted))
    if "f1" in wanted:
        metrics.update(evaluation.tagging_f1(model, task_data, settings))
    if "samples" in wanted:
        metrics["sample"] = evaluation.sample_text(model, task_data, settings)
    return metrics


def save_vectorizers(path, task_data):
    write_json(
        path,
        {k: keras.saving.serialize_keras_object(v) for k, v in task_data.vectorizers.items()},
    )


def load_vectorizers(path):
    from rnnzoo.run_folder import read_json

    return {
        k: keras.saving.deserialize_keras_object(v) for k, v in read_json(path).items()
    }


def save_model(model, path):
    """Saves a `.keras` file atomically."""
    tmp = f"{path[: -len('.keras')]}-tmp.keras"
    model.save(tmp)
    os.replace(tmp, path)


class StopAfterEpoch(keras.callbacks.Callback):
    """Ends `fit` after one epoch: the engine feeds each epoch its own data
    order (`TaskData.train_for_epoch`), one `fit` call per epoch."""

    def on_epoch_end(self, epoch, logs=None):
        self.model.stop_training = True


def learning_rate_schedule(settings):
    """The learning rate of each epoch: a function of the epoch alone, so a
    resumed run follows the same schedule."""
    base, epochs = settings["learning_rate"], settings["epochs"]
    if settings["lr_schedule"] == "cosine":
        return lambda epoch: base * 0.5 * (1.0 + math.cos(math.pi * epoch / epochs))
    return lambda epoch: base


def run(recipe, overrides=None, verbose=1, callbacks=()):
    """Trains `recipe` with `overrides` of its settings; returns a `RunResult`.

    Running the same recipe and settings again resumes from the last
    completed epoch (a finished run is only re-evaluated); a run folder
    holding another config is refused. Under `multi_worker`, only the chief
    writes the run folder; the other workers write to a temporary folder
    and resume from the chief's checkpoints.
    """
    settings = resolve(recipe, overrides)
    keras.utils.set_random_seed(settings["seed"])
    strategy = distribute.make_strategy(settings["strategy"])
    task_data = load_data(recipe, settings)
    check_batch_size(settings, task_data)
    report_long_examples(settings, task_data)
    model_class, model_kwargs = model_arguments(recipe, settings, task_data)
    config = run_config(recipe, settings, model_class, model_kwargs, task_data)
    run_dir = run_directory(recipe, settings)
    chief = distribute.is_chief()
    folder_path = run_dir if chief else tempfile.mkdtemp(prefix="rnnzoo-worker-")
    policy = keras.config.dtype_policy()
    keras.config.set_dtype_policy(
        distribute.precision_policy(settings["mixed_precision"], strategy)
    )
    try:
        with RunFolder(folder_path).open(config) as folder:
            return _train(recipe, settings, strategy, task_data, model_class,
                          model_kwargs, folder, RunFolder(run_dir), verbose, callbacks)
    finally:
        keras.config.set_dtype_policy(policy)
        if not chief:
            shutil.rmtree(folder_path, ignore_errors=True)


def _train(recipe, settings, strategy, task_data, model_class, model_kwargs,
           folder, chief_folder, verbose, callbacks):
    with strategy.scope():
        model = model_class(**model_kwargs)
        model.compile(
            optimizer=keras.optimizers.Adam(
                settings["learning_rate"], clipnorm=settings["clipnorm"]
            ),
            jit_compile=settings["jit_compile"],
        )
        done, history = chief_folder.restore(model)
    replicas = strategy.num_replicas_in_sync

    def prepare(split):
        return distribute.shard(distribute.trim_batches(adapt_inputs(model, split), replicas))

    validation = prepare(task_data.validation)
    checkpoint = EpochCheckpoint(folder, history)
    every = settings["gradient_flow"]
    diagnostics = diagnostics_callbacks(
        model, next(iter(adapt_inputs(model, task_data.validation))), folder.path, every
    ) if every else []
    epoch_callbacks = [
        keras.callbacks.LearningRateScheduler(learning_rate_schedule(settings)),
        keras.callbacks.TerminateOnNaN(),
        *diagnostics,
        checkpoint,
        keras.callbacks.TensorBoard(folder.file("logs")),
        StopAfterEpoch(),
        *callbacks,
    ]
    with finite_passes():
        for epoch in range(done, settings["epochs"]):
            model.fit(
                prepare(task_data.train_for_epoch(epoch)),
                validation_data=validation,
                epochs=settings["epochs"],
                initial_epoch=epoch,
                steps_per_epoch=settings["steps_per_epoch"],
                shuffle=False,  # The data order is the pipeline's, per epoch.
                callbacks=epoch_callbacks,
                verbose=verbose,
            )
            if checkpoint.stopped_on_nan:
                break
    if checkpoint.stopped_on_nan:
        good = checkpoint.stopped_on_nan - 1
        kept = (
            f"the checkpoint of epoch {good}, the last good one, is kept in "
            f"{chief_folder.checkpoints}" if good else "no epoch had finished, nothing was saved"
        )
        raise FloatingPointError(
            f"The loss became NaN or infinite in epoch {checkpoint.stopped_on_nan}; "
            f"training stopped and {kept}. Try a lower --learning-rate or --clipnorm."
        )
    save_model(model, folder.file("model.keras"))
    save_vectorizers(folder.file("vectorizers.json"), task_data)
    if replicas > 1:  # Every test example, on one device.
        model = keras.saving.load_model(folder.file("model.keras"), safe_mode=True)
    test = test_metrics(model, task_data, recipe, settings)
    folder.write_metrics(test=test, history=checkpoint.history)
    return RunResult(chief_folder.path, folder.metrics(), model)


def _grid(value, default, kind):
    if not value:
        return tuple(default)
    try:
        return tuple(kind(v.strip()) for v in value.split(","))
    except ValueError:
        raise ValueError(f"Expected a comma-separated list; received {value!r}.") from None


def run_sweep(sweep, overrides=None, verbose=1):
    """Runs every recipe x cell x length of a `Sweep`; returns the summary.

    Each run goes to `RUN_DIR/<recipe>-<cell>-T<length>/` and resumes like
    any run; `summary.json` gets every run's test metrics after each run.
    """
    from rnnzoo.recipe import check_value
    from rnnzoo.recipe import find_recipe

    overrides = dict(overrides or {})
    cells = _grid(overrides.pop("cells", None), sweep.cells, str)
    lengths = _grid(overrides.pop("lengths", None), sweep.lengths, int)
    for cell in cells:
        check_value("cell", cell)
    for length in lengths:
        check_value("length", length)
    base = overrides.pop("run_dir", None) or os.path.join(
        overrides.get("output_dir", "runs"), sweep.name
    )
    rows = []
    for name in sweep.recipes:
        recipe = find_recipe(name)
        for cell in cells:
            for length in lengths:
                run_dir = os.path.join(base, f"{name}-{cell}-T{length}")
                settings = {**sweep.settings, **overrides, "cell": cell,
                            "length": length, "run_dir": run_dir}
                result = run(recipe, settings, verbose=verbose)
                rows.append({"recipe": name, "cell": cell, "length": length,
                             **result.metrics["test"]})
                summary = {"runs": rows, "table": summary_table(rows)}
                os.makedirs(base, exist_ok=True)
                write_json(os.path.join(base, "summary.json"), summary)
    return summary


def summary_table(rows):
    """A Markdown table: one row per recipe and cell, one column per T."""
    lengths = sorted({r["length"] for r in rows})
    lines = ["| recipe | cell | " + " | ".join(f"T={t}" for t in lengths) + " |",
             "|---|---|" + "---|" * len(lengths)]
    keys = dict.fromkeys((r["recipe"], r["cell"]) for r in rows)
    for recipe, cell in keys:
        cells = []
        for t in lengths:
            match = [r for r in rows if (r["recipe"], r["cell"], r["length"]) == (recipe, cell, t)]
            cells.append(f"{match[0]['loss']:.4f}" if match else "")
        lines.append(f"| {recipe} | {cell} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
