"""`rnnzoo train RECIPE`: its flags (every setting, with the recipe's values)
and the run."""

import argparse
import os
import sys

from rnnzoo.cli.startup import quiet_tensorflow
from rnnzoo.errors import UsageError

_DECODED = ("language_model", "conditional_generation", "seq2seq")
#: Settings that only some runs use, and the tasks (or "sweep") they apply
#: to: a recipe's help leaves them out elsewhere, unless the recipe sets them
#: (they are still accepted).
APPLIES_TO = {
    "recipes": ("sweep",),
    "cells": ("sweep",),
    "lengths": ("sweep",),
    "chrono_steps": (),  # A curriculum sweep sets it.
    "length": (),  # The long-range recipes set it.
    "forecast_steps": ("regression",),
    "decode_method": ("seq2seq",),
    "beam_width": ("seq2seq",),
    "length_penalty": ("seq2seq",),
    "eval_examples": ("seq2seq", "tagging"),
    "max_new_tokens": _DECODED,
    "temperature": ("language_model", "conditional_generation"),
}


def add_setting_flags(parser, values=None, owner="default", kind=None, recipe_sets=()):
    """The flags of every setting; their help ends with `values[name]` (the
    defaults, or a recipe's values). With `kind` (a task, or "sweep"), the
    help leaves out the settings that do not apply to it (`APPLIES_TO`) and
    that the recipe does not set (`recipe_sets`)."""
    from rnnzoo.train.recipe import RENAMED
    from rnnzoo.train.recipe import SETTINGS

    if values is None:
        values = {name: setting.default for name, setting in SETTINGS.items()}
    for name in RENAMED:  # Refused with a pointer to the new name.
        parser.add_argument("--" + name.replace("_", "-"), dest=name, default=None,
                            help=argparse.SUPPRESS)
    group = parser.add_argument_group("recipe settings (override the recipe)")
    for name, setting in SETTINGS.items():
        flag = "--" + name.replace("_", "-")
        value = values.get(name)
        shown = "" if value is None or value is False else f" ({owner}: {value})"
        text = setting.help + shown.replace("%", "%%")
        if kind and kind not in APPLIES_TO.get(name, (kind,)) and name not in recipe_sets:
            text = argparse.SUPPRESS
        if setting.kind is bool:
            group.add_argument(flag, dest=name, action=argparse.BooleanOptionalAction,
                               default=None, help=text)
        else:
            metavar = "|".join(setting.choices) if setting.choices else setting.kind.__name__.upper()
            group.add_argument(flag, dest=name, default=None, metavar=metavar, help=text)


def add_train_flags(parser, recipe=None):
    """The flags of `rnnzoo train`; with a `recipe`, their help shows its
    values."""
    parser.add_argument("--quiet", action="store_true", help="one line per epoch (the default when the output is not a terminal)")
    parser.add_argument("--export", nargs="?", const="", metavar="NAME",
                        help="export the trained model for TF Serving (default name: the stem of "
                        "the --data file, else the recipe)")
    parser.add_argument("--base-dir", default="saved_models", help="folder of exports")
    from rnnzoo.train.recipe import Sweep

    if recipe is None or isinstance(recipe, Sweep):
        parser.add_argument("--jobs", type=int, default=None, metavar="N",
                            help="a sweep's runs trained at once (default: one per CPU)")
    if recipe is None:
        add_setting_flags(parser)
        return
    from rnnzoo.train.recipe import resolve

    if isinstance(recipe, Sweep):
        parser.description = (
            f"{recipe.name}: {recipe.description}. Trains {', '.join(recipe.recipes)} "
            "with every cell and length, each with its recipe's values (`rnnzoo train "
            "NAME --help`); a setting given here applies to every run.")
        add_setting_flags(parser, recipe.settings, f"recipe {recipe.name}", "sweep",
                          recipe.settings)
        return
    parser.description = f"{recipe.name}: {recipe.description}." + (
        " --smoke sets " + ", ".join(f"{k}={v}" for k, v in recipe.smoke.items()) + "."
        if recipe.smoke else "") + (
        " With --data, settings you do not give fit the size of your files (the "
        f"data-size rule): `rnnzoo data check KIND FILE --recipe {recipe.name}` shows them.")
    add_setting_flags(parser, resolve(recipe), f"recipe {recipe.name}", recipe.task,
                      recipe.settings)


def recipe_in(argv):
    """The recipe `rnnzoo train RECIPE ...` names in `argv`, or `None`; only
    for the help of `train`."""
    from rnnzoo.train.recipe import RENAMED
    from rnnzoo.train.recipe import SETTINGS
    from rnnzoo.train.recipe import find_recipe
    from rnnzoo.train.recipe import recipe_names

    takes_value = {"--base-dir"} | {"--" + n.replace("_", "-") for n in RENAMED} | {
        "--" + n.replace("_", "-") for n, s in SETTINGS.items() if s.kind is not bool}
    words = [w for w in argv if w != "--debug"]
    if not words or words[0] != "train":
        return None
    skip = False
    for word in words[1:]:
        if skip:
            skip = False
        elif word.startswith("-"):
            skip = word in takes_value
        else:
            if word not in recipe_names():
                return None
            try:
                return find_recipe(word)
            except Exception:  # noqa: BLE001 (running it reports the error)
                return None
    return None


def settings_from(args):
    from rnnzoo.train.recipe import RENAMED
    from rnnzoo.train.recipe import SETTINGS
    from rnnzoo.train.recipe import check_settings

    for old, new in RENAMED.items():
        if getattr(args, old, None) is not None:
            raise UsageError(f"--{old.replace('_', '-')} was renamed: use {new}.")
    given = {k: getattr(args, k) for k in SETTINGS if getattr(args, k, None) is not None}
    return check_settings(given, "the command line")


def recipe_of(args):
    from rnnzoo.train.recipe import find_recipe

    return getattr(args, "recipe_object", None) or find_recipe(args.recipe)


def train_run_dir(args):
    """The run folder `rnnzoo train` writes: OUTPUT_DIR/RECIPE or --run-dir."""
    from rnnzoo.train.recipe import resolve

    recipe = recipe_of(args)
    settings = resolve(recipe, settings_from(args))
    return settings["run_dir"] or os.path.join(settings["output_dir"], recipe.name)


def command_train(args):
    import shlex

    from rnnzoo.train.recipe import Sweep

    recipe, settings = recipe_of(args), settings_from(args)  # Checked before TensorFlow loads.
    quiet_tensorflow(args.debug)
    # Keras's progress bar redraws itself with control characters: only on a
    # terminal; a log written to a file gets one line per epoch.
    verbose = 2 if args.quiet or not sys.stdout.isatty() else 1
    if isinstance(recipe, Sweep):
        from rnnzoo.train.sweep import run_sweep

        jobs = getattr(args, "jobs", None)
        if jobs is not None and jobs < 1:
            raise UsageError(f"--jobs must be >= 1; received {jobs}.")
        summary = run_sweep(recipe, settings, verbose=verbose, jobs=jobs)
        print(summary["table"])
        return 0
    from rnnzoo.train.engine import run

    command = shlex.join(["rnnzoo", *args.argv])
    result = run(recipe, settings, verbose=verbose, command=command)
    print_test_metrics(result.run_dir, result.metrics.get("test", {}))
    if args.export is not None:
        from rnnzoo.export.saved_model import export_run

        path = export_run(result.run_dir, name=args.export or None, base_dir=args.base_dir)
        print(f"exported: {path}")
    return 0


def print_test_metrics(run_dir, test):
    print(f"run folder: {run_dir}")
    for key, value in sorted(test.items()):
        if isinstance(value, float):
            value = f"{value:.4f}"
        print(f"test {key}: {value}")


def add_train_command(commands, argv):
    """`rnnzoo train RECIPE [flags]`; `argv` picks the recipe whose values
    `--help` shows."""
    train = commands.add_parser(
        "train", help="train a recipe (rnnzoo list recipes)", allow_abbrev=False,
        epilog="`rnnzoo train RECIPE --help` shows that recipe's values.")
    train.add_argument("recipe", help="recipe name")
    add_train_flags(train, recipe_in(argv))
    train.set_defaults(handler=command_train, run_folder=train_run_dir, tensorflow=False)
