"""A recipe: declarative settings for one training job, and their checks."""

import dataclasses
import importlib
import pkgutil
from typing import Any

from rnnzoo.checks import suggest
from rnnzoo.decoding_defaults import DECODE_DEFAULTS
from rnnzoo.errors import UsageError


@dataclasses.dataclass(frozen=True)
class Setting:
    """One overridable setting: its type, its check and its help."""

    kind: type
    default: Any
    help: str
    choices: tuple = ()
    minimum: float | None = None
    exclusive_minimum: bool = False


def _positive_int(help, default=None):
    return Setting(int, default, help, minimum=1)


SETTINGS = {
    # Data.
    "dataset": Setting(str, None, "TFDS or built-in dataset name"),
    "data": Setting(str, None, "train on this file of the recipe's kind instead"),
    "eval_data": Setting(str, None, "with --data: one file is the test split (validation is then "
                         "a seeded 5%% slice of --data); two comma-separated files are "
                         "validation,test"),
    "tokens": Setting(str, None, "token unit of text files", choices=("char", "word")),
    "max_input_tokens": _positive_int("cut input sequences to this many tokens (a language "
                                      "model's training window)"),
    "max_vocabulary": _positive_int("largest vocabulary of text: the most frequent tokens "
                                    "of the training split (default: the dataset's)"),
    "length": _positive_int("sequence length T of the long-range tasks"),
    "data_dir": Setting(str, None, "TFDS data directory (default ~/tensorflow_datasets)"),
    "manual_dir": Setting(str, None, "TFDS manual directory (offline source files)"),
    "smoke": Setting(bool, False, "tiny data and one short epoch, in seconds"),
    # Model.
    "init_from": Setting(str, None, "start from this trained model: a zoo name (rnnzoo zoo), "
                         "an export's folder or a run folder; its architecture and "
                         "vocabulary, with --data files (fine-tuning)"),
    "model": Setting(str, None, "registered model preset (rnnzoo list models)"),
    "cell": Setting(str, None, "recurrent cell", choices=("elman", "jordan", "lstm", "gru")),
    "units": _positive_int("recurrent units per layer"),
    "num_layers": _positive_int("stacked recurrent layers"),
    "dropout": Setting(float, None, "dropout rate in [0, 1)", minimum=0.0),
    "chrono": Setting(bool, False, "chrono initialization of LSTM forget / GRU update gate "
                      "biases for dependencies up to the data's sequence length "
                      "(Tallec & Ollivier 2018); no effect on Elman and Jordan cells"),
    "chrono_steps": _positive_int("the dependency length T_max that --chrono initializes "
                                  "for (default: the data's sequence length)"),
    # Training.
    "epochs": _positive_int("most training epochs: a ceiling; early stopping (--patience) "
                            "ends a run before it, and a run that reaches it while still "
                            "improving says so", 10),
    "batch_size": _positive_int("global batch size", 64),
    "learning_rate": Setting(float, 1e-3, "Adam learning rate (the peak of a schedule)",
                             minimum=0.0, exclusive_minimum=True),
    "lr_schedule": Setting(str, "constant", "constant; cosine: linear warm-up over "
                           "--warmup-steps, then cosine decay to 0 at the last epoch, per "
                           "step; plateau: multiply by --lr-factor after --lr-patience "
                           "epochs without a better --select-on",
                           choices=("constant", "cosine", "plateau")),
    "warmup_steps": Setting(int, 0, "linear warm-up steps of the cosine schedule", minimum=0),
    "lr_factor": Setting(float, 0.5, "learning-rate factor of the plateau schedule",
                         minimum=0.0, exclusive_minimum=True),
    "lr_patience": _positive_int("epochs without improvement before the plateau schedule "
                                 "lowers the learning rate", 2),
    "select_on": Setting(str, "val_loss", "validation metric that selects the epoch whose "
                         "weights the run keeps (val_loss, val_accuracy, ...)"),
    "patience": Setting(int, 0, "stop after this many epochs without a better --select-on "
                        "(0: never stop early); with --data, runs stop early by default "
                        "(the data-size rule: `rnnzoo data check` shows its values)",
                        minimum=0),
    "min_delta": Setting(float, 0.0, "an epoch counts as an improvement for --patience when "
                         "--select-on improves by more than this", minimum=0.0),
    "target": Setting(float, None, "stop once --select-on reaches this value (a solved run: "
                      "at or below it for a loss, at or above it for an accuracy)"),
    "clipnorm": Setting(float, 1.0, "gradient-norm clipping", minimum=0.0, exclusive_minimum=True),
    "gradient_flow": Setting(int, None, "record gradient flow through time and gradient "
                             "norms every N epochs (0: off)", minimum=0),
    "steps_per_epoch": _positive_int("limit training batches per epoch"),
    "seed": Setting(int, DECODE_DEFAULTS["seed"], "random seed"),
    "strategy": Setting(str, "default", "tf.distribute strategy",
                        choices=("default", "one_device", "mirrored", "multi_worker", "tpu")),
    "mixed_precision": Setting(bool, False, "mixed_float16 on GPU, mixed_bfloat16 on CPU/TPU"),
    "jit_compile": Setting(bool, False, "compile the training step with XLA"),
    "output_dir": Setting(str, "runs", "folder of run folders"),
    "run_dir": Setting(str, None, "run folder (default OUTPUT_DIR/RECIPE)"),
    # Sweeps (long_range).
    "recipes": Setting(str, None, "comma-separated recipes of a sweep (default: all of them)"),
    "cells": Setting(str, None, "comma-separated cells of a sweep"),
    "lengths": Setting(str, None, "comma-separated lengths T of a sweep"),
    # Evaluation, generation and serving.
    "decode_method": Setting(str, DECODE_DEFAULTS["decode_method"], "decoding of seq2seq", choices=("greedy", "beam")),
    "beam_width": _positive_int("beams of beam search", DECODE_DEFAULTS["beam_width"]),
    "length_penalty": Setting(float, DECODE_DEFAULTS["length_penalty"],
                              "GNMT length-penalty alpha of beam search", minimum=0.0),
    "max_new_tokens": _positive_int("most tokens generated: a translation, a sample, a "
                                    "served continuation", 100),
    "forecast_steps": _positive_int("values an exported forecaster predicts",
                                    DECODE_DEFAULTS["forecast_steps"]),
    "eval_examples": _positive_int("test examples decoded for generated metrics", 1000),
    "temperature": Setting(float, DECODE_DEFAULTS["temperature"], "sampling temperature (0: greedy)", minimum=0.0),
}

#: Settings that were renamed: the old name, and what to use instead.
RENAMED = {
    "max_length": "--max-input-tokens (inputs cut to N tokens) or --max-new-tokens "
                  "(tokens generated)",
    "max_decode_length": "--max-new-tokens",
    "sample_length": "--max-new-tokens",
}


@dataclasses.dataclass(frozen=True)
class Recipe:
    """What one training job trains, on what, with which settings.

    A recipe holds no logic: `rnnzoo.train.engine.run` executes it, and every
    entry of `settings` (see `SETTINGS`) can be overridden from the command
    line. `model_config` holds further constructor arguments of the model
    (`attention`, `bidirectional`, `pooling`...), `dataset_config` further
    arguments of `rnnzoo.data.load` (`digits`, `length`...).

    Args:
        name: the recipe's name (`rnnzoo train NAME`).
        task: the task kind of its data (`rnnzoo.data.TASKS`), which also
            decides the kind of user files `--data` takes.
        settings: values of `SETTINGS` entries; the rest take defaults.
        model_config: extra model constructor arguments.
        dataset_config: extra dataset arguments.
        metrics: extra test metrics: `"exact_match"`, `"bleu"`, `"f1"`,
            `"samples"`.
        smoke: settings used with `--smoke` (tiny, fast).
        description: one line for `rnnzoo list recipes`.
    """

    name: str
    task: str
    settings: dict
    model_config: dict = dataclasses.field(default_factory=dict)
    dataset_config: dict = dataclasses.field(default_factory=dict)
    metrics: tuple = ()
    smoke: dict = dataclasses.field(default_factory=dict)
    description: str = ""

    def __post_init__(self):
        check_settings(self.settings, f"recipe {self.name!r}")
        check_settings(self.smoke, f"recipe {self.name!r} (smoke)")


def check_value(name, value):
    """Returns `value` converted to the setting's type, or raises a
    `UsageError` naming the setting and what it expects."""
    if name in RENAMED:
        raise UsageError(f"Setting `{name}` was renamed; use {RENAMED[name]}.")
    if name not in SETTINGS:
        raise UsageError(f"Unknown setting {name!r}.{suggest(name, SETTINGS)}")
    setting = SETTINGS[name]
    if value is None:
        return None
    kind = setting.kind
    try:
        if kind is bool:
            if isinstance(value, str):
                if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
                    raise ValueError
                value = value.lower() in ("true", "1", "yes")
            elif not isinstance(value, bool):
                raise ValueError
        elif kind is int:
            if isinstance(value, bool) or float(value) != int(float(value)):
                raise ValueError
            value = int(float(value))
        else:
            value = kind(value)
    except (TypeError, ValueError):
        raise UsageError(
            f"Setting `{name}` expects {kind.__name__}; received {value!r}."
        ) from None
    if setting.choices and value not in setting.choices:
        raise UsageError(
            f"Setting `{name}` must be one of {list(setting.choices)}; "
            f"received {value!r}.{suggest(value, setting.choices)}"
        )
    if setting.minimum is not None:
        low = setting.minimum
        bad = value <= low if setting.exclusive_minimum else value < low
        if bad:
            sign = ">" if setting.exclusive_minimum else ">="
            raise UsageError(
                f"Setting `{name}` must be {sign} {low:g}; received {value!r}."
            )
    if name == "dropout" and value >= 1:
        raise UsageError(f"Setting `dropout` must be < 1; received {value!r}.")
    return value


def check_settings(settings, where="settings"):
    """Checks every entry of a settings dict; returns the converted dict."""
    checked = {}
    for name, value in settings.items():
        try:
            checked[name] = check_value(name, value)
        except UsageError as error:
            raise UsageError(f"In {where}: {error}") from None
    return checked


def resolve(recipe, overrides=None, fitted=None):
    """The complete settings of a run: defaults, then the recipe's, then
    `fitted` (the settings that fit the user's files,
    `rnnzoo.train.user_defaults`), then the smoke settings when `smoke` is
    on, then `overrides`."""
    overrides = check_settings(
        {k: v for k, v in (overrides or {}).items() if v is not None}
    )
    settings = {name: setting.default for name, setting in SETTINGS.items()}
    settings.update(recipe.settings)
    settings.update(check_settings(fitted or {}, "the data-size rule"))
    if overrides.get("smoke", recipe.settings.get("smoke")):
        settings.update(recipe.smoke)
    settings.update(overrides)
    return settings


@dataclasses.dataclass(frozen=True)
class Sweep:
    """A grid of runs of other recipes: every recipe x cell x length.

    `rnnzoo train NAME` runs each combination into `RUN_DIR/<recipe>-<cell>-
    T<length>/` (resuming finished and interrupted ones) and writes the
    table of their test metrics to `RUN_DIR/summary.json`. `lengths` is a
    tuple for every recipe, or a dict of one per recipe. `settings` apply
    to every run, `recipe_settings[recipe]` to that recipe's runs (a
    `target`, say). The runs of a recipe in `curriculum` form a chain per
    cell: each length starts (`--init-from`) from the trained run of the
    length before, and the chain's gates are chrono-initialized for its
    longest length. `--cells` and `--lengths` override the grid; other
    settings given on the command line apply to every run.
    """

    name: str
    recipes: tuple
    cells: tuple
    lengths: tuple | dict
    settings: dict = dataclasses.field(default_factory=dict)
    recipe_settings: dict = dataclasses.field(default_factory=dict)
    curriculum: tuple = ()
    description: str = ""

    def __post_init__(self):
        check_settings(self.settings, f"sweep {self.name!r}")
        for recipe, settings in self.recipe_settings.items():
            check_settings(settings, f"sweep {self.name!r} ({recipe})")

    def lengths_of(self, recipe):
        """The lengths T of `recipe` in the grid."""
        return self.lengths[recipe] if isinstance(self.lengths, dict) else self.lengths


def recipe_names():
    """Names of the recipes shipped in `rnnzoo.recipes`."""
    import rnnzoo.recipes

    return sorted(m.name for m in pkgutil.iter_modules(rnnzoo.recipes.__path__))


def find_recipe(name):
    """The `Recipe` (or `Sweep`) named `name`."""
    names = recipe_names()
    if name not in names:
        raise UsageError(
            f"Unknown recipe {name!r}.{suggest(name, names)} "
            "`rnnzoo list recipes` lists them."
        )
    return importlib.import_module(f"rnnzoo.recipes.{name}").RECIPE
