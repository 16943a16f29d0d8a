"""The `rnnzoo` command."""

import argparse
import os
import sys
import traceback

USAGE_ERROR = 2


class UsageError(Exception):
    """A mistake in the command line: message, no traceback, exit 2."""


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


def add_setting_flags(parser):
    from rnnzoo.recipe import RENAMED
    from rnnzoo.recipe import SETTINGS

    for name in RENAMED:  # Refused with a pointer to the new name.
        parser.add_argument("--" + name.replace("_", "-"), dest=name, default=None,
                            help=argparse.SUPPRESS)
    group = parser.add_argument_group("recipe settings (override the recipe)")
    for name, setting in SETTINGS.items():
        flag = "--" + name.replace("_", "-")
        if setting.kind is bool:
            group.add_argument(flag, dest=name, action="store_true", default=None,
                               help=setting.help)
        else:
            metavar = "|".join(setting.choices) if setting.choices else setting.kind.__name__.upper()
            group.add_argument(flag, dest=name, default=None, metavar=metavar,
                               help=setting.help)


def settings_from(args):
    from rnnzoo.recipe import RENAMED
    from rnnzoo.recipe import SETTINGS
    from rnnzoo.recipe import check_settings

    for old, new in RENAMED.items():
        if getattr(args, old, None) is not None:
            raise UsageError(f"--{old.replace('_', '-')} was renamed: use {new}.")
    given = {k: getattr(args, k) for k in SETTINGS if getattr(args, k, None) is not None}
    try:
        return check_settings(given, "the command line")
    except ValueError as error:
        raise UsageError(str(error)) from None


def command_train(args):
    from rnnzoo.recipe import find_recipe

    return train_recipe(find_recipe(args.recipe), args)


def train_recipe(recipe, args):
    from rnnzoo.recipe import Sweep
    from rnnzoo.training import run
    from rnnzoo.sweep import run_sweep

    verbose = 2 if args.quiet else 1
    if isinstance(recipe, Sweep):
        summary = run_sweep(recipe, settings_from(args), verbose=verbose)
        print(summary["table"])
        return 0
    import shlex

    command = shlex.join(["rnnzoo", *(sys.argv[1:] if args.argv is None else args.argv)])
    result = run(recipe, settings_from(args), verbose=verbose, command=command)
    print_test_metrics(result.run_dir, result.metrics.get("test", {}))
    if args.export is not None:
        from rnnzoo.export import export_run

        path = export_run(result.run_dir, name=args.export or None, base_dir=args.base_dir)
        print(f"exported: {path}")
    return 0


def add_train_flags(parser):
    parser.add_argument("--quiet", action="store_true", help="one line per epoch")
    parser.add_argument("--export", nargs="?", const="", metavar="NAME",
                        help="export the trained model for TF Serving (default name: the recipe)")
    parser.add_argument("--base-dir", default="saved_models", help="folder of exports")
    add_setting_flags(parser)


def print_test_metrics(run_dir, test):
    print(f"run folder: {run_dir}")
    for key, value in sorted(test.items()):
        if isinstance(value, float):
            value = f"{value:.4f}"
        print(f"test {key}: {value}")


def command_list(args):
    if args.what == "models":
        import rnnzoo

        names = rnnzoo.list_models(args.pattern)
    elif args.what == "recipes":
        from rnnzoo.recipe import find_recipe
        from rnnzoo.recipe import recipe_names

        names = [f"{n:24s} {find_recipe(n).description}" for n in recipe_names()]
    else:
        from rnnzoo import data

        names = data.list_datasets()
    print("\n".join(names))
    return 0


def command_evaluate(args):
    from rnnzoo.commands import evaluate_run

    print_test_metrics(args.run_dir, evaluate_run(args.run_dir))
    return 0


def command_generate(args):
    from rnnzoo.commands import generate_text

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
    from rnnzoo.export import export_run
    from rnnzoo.export import serving_config

    if args.run_dir:
        path = export_run(args.run_dir, name=args.name, base_dir=args.base_dir,
                          version=args.version, overwrite=args.overwrite)
        print(f"exported: {path}")
    if args.serving_config:
        print(f"TF Serving config: {serving_config(args.base_dir)}")
    if not (args.run_dir or args.serving_config):
        raise UsageError("Give a RUN_DIR to export, or --serving-config.")
    return 0


def command_predict(args):
    import json

    from rnnzoo.predict import predict

    instances = list(args.inputs)
    if not instances:
        instances = [json.loads(line) for line in sys.stdin if line.strip()]
    for row in predict(args.model_dir, instances, args.version):
        print(json.dumps(row, ensure_ascii=False))
    return 0


def build_parser():
    from rnnzoo import __version__
    from rnnzoo.data.cli import add_data_commands

    parser = Parser(
        prog="rnnzoo",
        allow_abbrev=False,
        description="Recurrent networks for Keras 3 and TensorFlow: train a "
        "recipe, evaluate a run, generate, prepare data offline.",
    )
    parser.add_argument("--version", action="version", version=f"rnnzoo {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    train = commands.add_parser(
        "train", help="train a recipe (rnnzoo list recipes)", allow_abbrev=False
    )
    train.add_argument("recipe", help="recipe name")
    add_train_flags(train)
    train.set_defaults(handler=command_train)

    listing = commands.add_parser("list", help="list models, recipes or datasets")
    listing.add_argument("what", choices=("models", "recipes", "datasets"))
    listing.add_argument("--pattern", default="*", help="glob over model names")
    listing.set_defaults(handler=command_list)

    evaluate = commands.add_parser("evaluate", help="test metrics of a run folder")
    evaluate.add_argument("run_dir")
    evaluate.set_defaults(handler=command_evaluate)

    generate = commands.add_parser("generate", help="sample from a generative run")
    generate.add_argument("run_dir")
    generate.add_argument("--prompt", action="append", help="text to continue (repeatable)")
    generate.add_argument("--condition", help="class label of a conditional generator")
    generate.add_argument("--max-new-tokens", type=int, metavar="N",
                          help="most tokens to write (default: the run's --max-new-tokens)")
    generate.add_argument("--temperature", type=float, metavar="T",
                          help="sampling temperature, 0 for greedy (default: the run's)")
    generate.add_argument("--top-k", type=int, metavar="K",
                          help="sample among the K likeliest tokens (default: all)")
    generate.add_argument("--seed", type=int, help="sampling seed (default: the run's)")
    generate.set_defaults(handler=command_generate)

    export = commands.add_parser("export", help="export a run for TF Serving")
    export.add_argument("run_dir", nargs="?", help="a finished run folder")
    export.add_argument("--name", help="model name on the server (default: the recipe)")
    export.add_argument("--version", type=int, help="version number (default: next free)")
    export.add_argument("--base-dir", default="saved_models", help="folder of exports")
    export.add_argument("--overwrite", action="store_true", help="replace that version")
    export.add_argument("--serving-config", action="store_true",
                        help="write BASE_DIR/models.config for tensorflow_model_server")
    export.set_defaults(handler=command_export)

    predict = commands.add_parser("predict", help="run an export with plain TensorFlow")
    predict.add_argument("model_dir", help="saved_models/NAME")
    predict.add_argument("inputs", nargs="*", help="inputs (default: JSON lines on stdin)")
    predict.add_argument("--version", type=int)
    predict.set_defaults(handler=command_predict)

    add_data_commands(commands)
    add_plot_command(commands)
    return parser


def add_plot_command(subparsers):
    """`rnnzoo plot RUN_DIR [--out DIR] [--examples N]`."""
    from rnnzoo.plots import INSTALL_HINT

    plot = subparsers.add_parser(
        "plot", help="draw a run folder's figures as PNG files (needs rnnzoo[plots])",
        description="Draws learning curves, gradient flow through time, attention "
        "maps, and the long_range figures of a run or sweep folder as PNG files. "
        f"Needs matplotlib: {INSTALL_HINT}")
    plot.add_argument("run_dir", help="a run folder, or a long_range sweep folder")
    plot.add_argument("--out", default=None, metavar="DIR",
                      help="folder of the PNG files (default RUN_DIR/plots)")
    plot.add_argument("--examples", type=int, default=4, metavar="N",
                      help="test examples in the attention figure (default 4)")
    plot.set_defaults(handler=command_plot)


def command_plot(args):
    from rnnzoo.plots import PlotsUnavailableError
    from rnnzoo.plots import plot_run

    try:
        paths = plot_run(args.run_dir, args.out, args.examples)
    except PlotsUnavailableError as error:
        raise UsageError(str(error)) from None
    for path in paths:
        print(f"wrote {path}")
    return 0


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = argv
    if args.command is None:
        parser.print_help()
        return 0
    if args.command == "data":
        from rnnzoo.data.cli import run_data_command

        return run_data_command(args)
    return run_handler(args.handler, args, parser)


def run_handler(handler, args, parser):
    """Runs a command; user mistakes print one line and exit 2."""
    from rnnzoo.data import DataFileError
    from rnnzoo.data import DatasetNotAvailableError
    from rnnzoo.run_folder import RunFolderError

    from rnnzoo.export import ExportError

    try:
        return handler(args)
    except (UsageError, RunFolderError, ExportError, DataFileError, DatasetNotAvailableError,
            FileNotFoundError, ValueError) as error:
        if args.debug:
            traceback.print_exc()
        parser.exit(USAGE_ERROR, f"rnnzoo: error: {error}\n")
    except FloatingPointError as error:
        parser.exit(1, f"rnnzoo: error: {error}\n")


def train_main(recipe, argv=None):
    """Entry point of `python recipes/NAME.py [--flags]`."""
    parser = Parser(prog=os.path.basename(sys.argv[0]), description=recipe.description,
                    allow_abbrev=False)
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    add_train_flags(parser)
    args = parser.parse_args(argv)
    args.argv = ["train", recipe.name, *(sys.argv[1:] if argv is None else argv)]
    sys.exit(run_handler(lambda args: train_recipe(recipe, args), args, parser))


if __name__ == "__main__":
    sys.exit(main())
