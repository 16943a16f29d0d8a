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

from rnnzoo.cli.data import add_data_commands
from rnnzoo.cli.data import add_list_command
from rnnzoo.cli.plot import add_plot_command
from rnnzoo.cli.report import report
from rnnzoo.cli.run import add_run_commands
from rnnzoo.cli.serve import add_serve_commands
from rnnzoo.cli.startup import quiet_tensorflow
from rnnzoo.cli.train import add_train_command
from rnnzoo.cli.train import add_train_flags
from rnnzoo.cli.train import command_train
from rnnzoo.cli.train import train_run_dir
from rnnzoo.errors import UsageError  # noqa: F401 (also `rnnzoo.cli.UsageError`)

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

    add_train_command(commands, argv)
    add_list_command(commands)
    add_run_commands(commands)
    add_serve_commands(commands)
    add_plot_command(commands)
    add_data_commands(commands)
    return parser


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
