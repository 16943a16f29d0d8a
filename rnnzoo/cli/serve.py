"""`rnnzoo export`, `rnnzoo predict` and `rnnzoo zoo`: exports and the zoo."""

import sys

from rnnzoo.cli.run import run_dir_of
from rnnzoo.errors import UsageError

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
    if args.markdown:
        print(zoo.markdown(cards))
        return 0
    rows = zoo.table(cards)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    return 0


def add_serve_commands(commands):
    """`rnnzoo export`, `rnnzoo predict` and `rnnzoo zoo`."""
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
    zoo.add_argument("--markdown", action="store_true",
                     help="print the table of saved_models/README.md, from the cards")
    zoo.set_defaults(handler=command_zoo, tensorflow=False)
