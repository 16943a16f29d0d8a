"""The `rnnzoo` command.

Every command is a subparser whose `set_defaults(handler=...)` names the
function that runs it, and `run_handler` runs them all the same way: a
`UsageError` (a mistake the user can fix) prints `rnnzoo: error: ...` and
exits with status 2, any other exception is an internal error (status 1,
its traceback in the run folder's `log.txt` or a temporary file), Ctrl-C
exits with 130 (`rnnzoo.errors.report`). No traceback unless `--debug`.

TensorFlow's and absl's start-up noise is hidden unless `--debug`; the
help, `rnnzoo list recipes` and the checks of `rnnzoo train`'s arguments
run without importing TensorFlow.
"""

import argparse
import os
import sys

from rnnzoo.errors import UsageError  # noqa: F401 (also `rnnzoo.cli.UsageError`)
from rnnzoo.errors import report
from rnnzoo.startup import quiet_tensorflow


class Parser(argparse.ArgumentParser):
    """An argument parser whose "unrecognized arguments" error suggests the
    closest option of the command."""

    def options(self):
        found = set()
        parsers = [self]
        for action in self._actions:
            if isinstance(getattr(action, "choices", None), dict):  # Subcommands.
                parsers += list(action.choices.values())
        for parser in parsers:
            for action in parser._actions:
                found |= set(action.option_strings)
        return sorted(found)

    def error(self, message):
        import difflib
        import re

        hints = []
        if message.startswith("unrecognized arguments:"):
            for word in message.split(":", 1)[1].split():
                flag = word.split("=", 1)[0]
                close = difflib.get_close_matches(flag, self.options(), n=1)
                if flag.startswith("--") and close:
                    hints.append(f"{flag}: did you mean {close[0]}?")
        choice = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
        if choice:
            options = re.findall(r"'([^']*)'", choice.group(2))
            close = difflib.get_close_matches(choice.group(1), options, n=1)
            if close:
                hints.append(f"did you mean {close[0]!r}?")
        if hints:
            message += " (" + "; ".join(hints) + ")"
        super().error(message)


# Running a command.


def run_handler(args, parser):
    """Runs `args.handler(args)` and returns its exit status; on an
    exception, exits with the status `rnnzoo.errors.report` gives.

    TensorFlow is imported quietly first, unless the parser set
    `tensorflow=False`: such a handler calls `quiet_tensorflow` itself when
    it needs TensorFlow (after the checks it can make without it).
    `run_folder(args)`, where set, names the folder whose log takes the
    traceback of an internal error.
    """
    try:
        if getattr(args, "tensorflow", True):
            quiet_tensorflow(args.debug)
        return args.handler(args)
    except (Exception, KeyboardInterrupt) as error:
        parser.exit(report(error, args.argv, args.debug, lambda text: log_error(args, text)))


def log_error(args, text):
    """Appends `text` to the log of the command's run folder if it has one
    and it exists; returns the log's path, or `None`."""
    folder = args.run_folder(args) if getattr(args, "run_folder", None) else None
    if folder and os.path.isdir(folder):
        from rnnzoo.train.run_folder import RunFolder

        return RunFolder(folder).log_error(text)
    return None


def run_dir_of(args):
    return args.run_dir


# Train.


def add_setting_flags(parser, values=None, owner="default"):
    """The flags of every setting; their help ends with `values[name]` (the
    defaults, or a recipe's values)."""
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
        if setting.kind is bool:
            group.add_argument(flag, dest=name, action="store_true", default=None,
                               help=text)
        else:
            metavar = "|".join(setting.choices) if setting.choices else setting.kind.__name__.upper()
            group.add_argument(flag, dest=name, default=None, metavar=metavar, help=text)


def add_train_flags(parser, recipe=None):
    """The flags of `rnnzoo train`; with a `recipe`, their help shows its
    values."""
    parser.add_argument("--quiet", action="store_true", help="one line per epoch")
    parser.add_argument("--export", nargs="?", const="", metavar="NAME",
                        help="export the trained model for TF Serving (default name: the recipe)")
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
        add_setting_flags(parser, recipe.settings, f"recipe {recipe.name}")
        return
    parser.description = f"{recipe.name}: {recipe.description}." + (
        " --smoke sets " + ", ".join(f"{k}={v}" for k, v in recipe.smoke.items()) + "."
        if recipe.smoke else "")
    add_setting_flags(parser, resolve(recipe), f"recipe {recipe.name}")


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
    verbose = 2 if args.quiet else 1
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


# The other commands.


def command_list(args):
    if args.what == "recipes":
        from rnnzoo.train.recipe import find_recipe
        from rnnzoo.train.recipe import recipe_names

        lines = [f"{n:24s} {find_recipe(n).description}" for n in recipe_names()]
    elif args.what == "models":
        quiet_tensorflow(args.debug)
        from rnnzoo.registry import list_models

        lines = list_models(args.pattern)
    else:
        quiet_tensorflow(args.debug)
        from rnnzoo import data

        names = data.list_datasets()
        width = max(len(n) for n in names)
        lines = [f"{name:<{width}}  {data.describe(name)}" for name in names]
    print("\n".join(lines))
    return 0


def command_evaluate(args):
    from rnnzoo.train.commands import evaluate_run

    print_test_metrics(args.run_dir, evaluate_run(args.run_dir))
    return 0


def command_generate(args):
    from rnnzoo.train.commands import generate_text

    for text in generate_text(
        args.run_dir,
        prompts=args.prompt,
        condition=args.condition,
        max_new_tokens=args.max_new_tokens,
        temperature=args.temperature,
        top_k=args.top_k,
        seed=args.seed,
    ):
        print(text)
    return 0


def command_export(args):
    from rnnzoo.export.saved_model import export_run
    from rnnzoo.export.saved_model import serving_config

    if not (args.run_dir or args.serving_config):
        raise UsageError("Give a RUN_DIR to export, or --serving-config.")
    if args.run_dir:
        path = export_run(args.run_dir, name=args.name, base_dir=args.base_dir,
                          version=args.version, overwrite=args.overwrite)
        print(f"exported: {path}")
    if args.serving_config:
        print(f"TF Serving config: {serving_config(args.base_dir)}")
    return 0


def command_predict(args):
    import json

    from rnnzoo.export.predict import FORMATS
    from rnnzoo.export.predict import predict
    from rnnzoo.export.predict import read_json_lines

    if args.inputs:
        instances = list(args.inputs)
        places = [f"argument {i}" for i in range(1, len(instances) + 1)]
    elif sys.stdin.isatty():
        raise UsageError(f"Give INPUT arguments, or JSON lines on stdin: {FORMATS}.")
    else:
        instances, places = read_json_lines(sys.stdin)
    for row in predict(args.model_dir, instances, args.version, places):
        print(json.dumps(row, ensure_ascii=False))
    return 0


def command_zoo(args):
    from rnnzoo.export import zoo

    cards = zoo.shipped(args.base_dir)
    if not cards:
        raise UsageError(f"No exported model with a card in {args.base_dir or zoo.default_base()}.")
    rows = zoo.table(cards)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    return 0


def command_plot(args):
    from rnnzoo.plots import PlotsUnavailableError
    from rnnzoo.plots import plot_run

    try:
        paths = plot_run(args.run_dir, args.out, args.examples)
    except (PlotsUnavailableError, FileNotFoundError) as error:
        # plot_run: no matplotlib; RUN_DIR missing or with nothing to plot.
        raise UsageError(str(error)) from None
    for path in paths:
        print(f"wrote {path}")
    return 0


def command_data_prepare(args):
    from rnnzoo.data.cli import prepare_command

    return prepare_command(args)


def command_data_check(args):
    from rnnzoo.data.cli import check_command

    return check_command(args)


def command_data_list(args):
    raise UsageError("`rnnzoo data list` was removed: use `rnnzoo list datasets`.")


# The parser.


def build_parser(argv=()):
    """The parser of `rnnzoo`; `argv` only picks the recipe whose values
    `rnnzoo train RECIPE --help` shows."""
    from rnnzoo import __version__

    parser = Parser(
        prog="rnnzoo",
        allow_abbrev=False,
        description="Recurrent networks for Keras 3 and TensorFlow: train a "
        "recipe, evaluate a run, generate, export, prepare data offline.",
        epilog="Exit status: 0 done, 2 a mistake in the command (one line says "
        "what), 1 an internal error (its traceback goes to a log file), 130 "
        "interrupted.",
    )
    parser.add_argument("--version", action="version", version=f"rnnzoo {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="show tracebacks and TensorFlow's logs")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    train = commands.add_parser(
        "train", help="train a recipe (rnnzoo list recipes)", allow_abbrev=False,
        epilog="`rnnzoo train RECIPE --help` shows that recipe's values.")
    train.add_argument("recipe", help="recipe name")
    add_train_flags(train, recipe_in(argv))
    train.set_defaults(handler=command_train, run_folder=train_run_dir, tensorflow=False)

    listing = commands.add_parser("list", help="list models, recipes or datasets")
    listing.add_argument("what", choices=("models", "recipes", "datasets"))
    listing.add_argument("--pattern", default="*", help="glob over model names")
    listing.set_defaults(handler=command_list, tensorflow=False)

    evaluate = commands.add_parser("evaluate", help="test metrics of a run folder")
    evaluate.add_argument("run_dir", help="a finished run folder")
    evaluate.set_defaults(handler=command_evaluate, run_folder=run_dir_of)

    generate = commands.add_parser("generate", help="sample from a generative run")
    generate.add_argument("run_dir", help="a finished run folder")
    generate.add_argument("--prompt", action="append", help="text to continue (repeatable)")
    generate.add_argument("--condition", help="class label of a conditional generator")
    generate.add_argument("--max-new-tokens", type=int, metavar="N",
                          help="most tokens to write (default: the run's --max-new-tokens)")
    generate.add_argument("--temperature", type=float, metavar="T",
                          help="sampling temperature, 0 for greedy (default: the run's)")
    generate.add_argument("--top-k", type=int, metavar="K",
                          help="sample among the K likeliest tokens (default: all)")
    generate.add_argument("--seed", type=int, help="sampling seed (default: the run's)")
    generate.set_defaults(handler=command_generate, run_folder=run_dir_of)

    export = commands.add_parser("export", help="export a run for TF Serving")
    export.add_argument("run_dir", nargs="?", help="a finished run folder")
    export.add_argument("--name", help="model name on the server (default: the recipe)")
    export.add_argument("--version", type=int, help="version number (default: next free)")
    export.add_argument("--base-dir", default="saved_models", help="folder of exports")
    export.add_argument("--overwrite", action="store_true", help="replace that version")
    export.add_argument("--serving-config", action="store_true",
                        help="write BASE_DIR/models.config for tensorflow_model_server")
    export.set_defaults(handler=command_export, run_folder=run_dir_of)

    predict = commands.add_parser(
        "predict", help="run an export with plain TensorFlow",
        description="Runs the serving_default signature of an export on INPUTs, or "
        "on standard input, one JSON value a line: a string (text), a list of "
        'numbers (features, values), or an object naming the input ({"text": '
        '"..."}, {"condition": "pos"}). Prints one JSON object a line.')
    predict.add_argument("model_dir", help="saved_models/NAME")
    predict.add_argument("inputs", nargs="*", metavar="INPUT",
                         help="raw inputs (default: JSON lines on stdin)")
    predict.add_argument("--version", type=int, help="version to run (default: the latest)")
    predict.set_defaults(handler=command_predict)

    zoo = commands.add_parser(
        "zoo", help="the trained models shipped in saved_models/, with their figures",
        description="Lists the zoo: every model in BASE_DIR (default: the saved_models/ "
        "folder of this rnnzoo checkout) with its task, model, held-out figure and size; "
        "`rnnzoo predict saved_models/NAME INPUT` runs one.")
    zoo.add_argument("--base-dir", help="folder of exported models")
    zoo.set_defaults(handler=command_zoo, tensorflow=False)

    add_plot_command(commands)
    add_data_commands(commands)
    return parser


def add_plot_command(commands):
    """`rnnzoo plot RUN_DIR [--out DIR] [--examples N]`."""
    from rnnzoo.plots import INSTALL_HINT

    plot = commands.add_parser(
        "plot", help="draw a run folder's figures as PNG files (needs rnnzoo[plots])",
        description="Draws learning curves, gradient flow through time, attention "
        "maps, and the long_range figures of a run or sweep folder as PNG files. "
        f"Needs matplotlib: {INSTALL_HINT}")
    plot.add_argument("run_dir", help="a run folder, or a long_range sweep folder")
    plot.add_argument("--out", default=None, metavar="DIR",
                      help="folder of the PNG files (default RUN_DIR/plots)")
    plot.add_argument("--examples", type=int, default=4, metavar="N",
                      help="test examples in the attention figure (default 4)")
    plot.set_defaults(handler=command_plot, run_folder=run_dir_of)


def add_data_commands(commands):
    """`rnnzoo data prepare|check`; `rnnzoo data list` is refused."""
    data = commands.add_parser(
        "data", help="prepare datasets offline, check your own files",
        description="Prepare TFDS catalog datasets from local files; check your own "
        "files. `rnnzoo list datasets` lists the datasets.")
    subcommands = data.add_subparsers(dest="data_command", metavar="SUBCOMMAND",
                                      required=True)
    prepare = subcommands.add_parser(
        "prepare",
        help="put local copies of a TFDS dataset's source files where TFDS "
        "finds them, then build it",
        description="Copies local source files into TFDS's download cache "
        "(verifying registered checksums), so the unchanged catalog builder "
        "runs without network, then builds the dataset.")
    prepare.add_argument("dataset", help="e.g. tiny_shakespeare, conll2003, imdb_reviews, "
                         "ted_hrlr_translate/pt_to_en")
    prepare.add_argument(
        "--from", dest="files", nargs="+", required=True, metavar="FILE",
        help="the source file(s): e.g. input.txt for tiny_shakespeare; the "
        "zip or train.txt valid.txt test.txt for conll2003")
    prepare.add_argument("--data-dir", help="TFDS data directory (default ~/tensorflow_datasets)")
    prepare.add_argument("--no-build", action="store_true",
                         help="only fill the download cache; build on first load")
    prepare.add_argument("--force", action="store_true",
                         help="rebuild the dataset even if it is prepared already")
    prepare.set_defaults(handler=command_data_prepare)

    check = subcommands.add_parser(
        "check", help="read your own file(s) as `rnnzoo train --data` does",
        description="Reads your files as `rnnzoo.data.from_files` (and `rnnzoo train "
        "--data`) does and prints the splits, vocabulary and labels it finds, or the "
        "first problem, as file:line: what.")
    check.add_argument("kind", help="language_model, classification, conditional_generation,"
                       " seq2seq, tagging or forecasting")
    check.add_argument("path", help="the (training) file")
    check.add_argument("--eval", nargs="+", metavar="FILE",
                       help="evaluation file(s): one, or validation and test")
    check.add_argument("--tokens", default="char", choices=("char", "word"))
    check.add_argument("--column", default="-1", help="forecasting: CSV column name or index")
    check.add_argument("--window", type=int, default=32, help="forecasting: window length")
    check.set_defaults(handler=command_data_check)

    removed = subcommands.add_parser("list", description="Removed: use `rnnzoo list datasets`.")
    removed.set_defaults(handler=command_data_list, tensorflow=False)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    args.argv = argv
    if args.command is None:
        parser.print_help()
        return 0
    return run_handler(args, parser)


def train_main(recipe, argv=None):
    """Entry point of `python -m rnnzoo.recipes.NAME [--flags]`."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = Parser(prog=os.path.basename(sys.argv[0]), allow_abbrev=False)
    parser.add_argument("--debug", action="store_true",
                        help="show tracebacks and TensorFlow's logs")
    add_train_flags(parser, recipe)
    parser.set_defaults(handler=command_train, recipe_object=recipe,
                        run_folder=train_run_dir, tensorflow=False)
    args = parser.parse_args(argv)
    args.argv = ["train", recipe.name, *argv]
    sys.exit(run_handler(args, parser))


if __name__ == "__main__":
    sys.exit(main())
