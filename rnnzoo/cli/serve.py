"""`rnnzoo export`, `rnnzoo predict` and `rnnzoo zoo`: exports and the zoo."""

import os
import sys

from rnnzoo.cli.run import run_dir_of
from rnnzoo.decoding_defaults import MAX_NEW_TOKENS_LIMIT
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


#: What `rnnzoo predict` says when it reads inputs a user types.
TYPING_HINT = ("rnnzoo: reading inputs from standard input, one per line (a JSON value: "
               '"text", [numbers] or {"input": ...}); Ctrl-D ends')


def command_predict(args):
    """Arguments are one request: answered together, or refused together.
    Standard input is a stream: each line is answered on its own, a bad line
    is reported (`rnnzoo: error: stdin line N: ...`) and the others are
    answered; the status is then 2."""
    from rnnzoo.cli.startup import quiet_tensorflow
    from rnnzoo.decoding_defaults import SAMPLING_INPUTS
    from rnnzoo.export.predict import Predictor
    from rnnzoo.export.predict import read_json_lines
    from rnnzoo.export.predict import version_folder

    version_folder(args.model_dir, args.version)  # A wrong folder is told at once.
    quiet_tensorflow(args.debug)
    predictor = Predictor(args.model_dir, args.version,
                          {name: getattr(args, name) for name in SAMPLING_INPUTS})
    if args.inputs:
        places = [f"argument {i}" for i in range(1, len(args.inputs) + 1)]
        for row in predictor(list(args.inputs), places):
            print_row(row)
        return 0
    if sys.stdin.isatty():  # Answer each line as it is typed.
        sys.stderr.write(TYPING_HINT + "\n")
        sys.stderr.flush()
        batches = (read_json_lines([line], each=True, start=number)
                   for number, line in enumerate(iter(sys.stdin.readline, ""), start=1))
    else:
        batches = [read_json_lines(sys.stdin, each=True)]
    failed = 0
    for instances, places in batches:
        for answer in predictor(instances, places, each=True):
            if isinstance(answer, UsageError):
                sys.stdout.flush()
                sys.stderr.write(f"rnnzoo: error: {answer}\n")
                sys.stderr.flush()
                failed += 1
            else:
                print_row(answer)
    return 2 if failed else 0


def print_row(row):
    """One answer, a JSON object a line, its keys in order."""
    import json

    print(json.dumps(row, ensure_ascii=False, sort_keys=True), flush=True)


def command_zoo(args):
    from rnnzoo.export import zoo

    if not args.base_dir and not os.path.isdir(zoo.default_base()):
        raise UsageError(zoo.missing_zoo())
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
    export.add_argument("--name", help="model name on the server (default: the stem of the "
                        "run's --data file, else the recipe)")
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
        '"..."}, {"condition": "pos"}). Prints one JSON object a line, its keys '
        "sorted. INPUTs are answered together or refused together; from standard "
        "input each line is answered on its own, and a bad line is reported (exit "
        "status 2) without losing the others' answers.")
    predict.add_argument("model_dir", help="saved_models/NAME, or a zoo name")
    predict.add_argument("inputs", nargs="*", metavar="INPUT",
                         help="raw inputs (default: JSON lines on stdin)")
    predict.add_argument("--version", type=int, help="version to run (default: the latest)")
    sampling = predict.add_argument_group(
        "sampling", "For exports that sample (language models and conditional generators: "
        "their `sample` signature); any other export refuses these. Each defaults to the "
        "export's own value (its card's `sampling`). The same seed gives the same text, "
        'another seed another; a JSON object may set them per input ({"text": "...", '
        '"seed": 3}).')
    sampling.add_argument("--temperature", type=float, metavar="T",
                          help="sampling temperature >= 0; 0 is greedy decoding (the "
                          "likeliest token at each step, the same text for every seed)")
    sampling.add_argument("--top-k", type=int, metavar="K",
                          help="sample among the K likeliest tokens; 0 for all")
    sampling.add_argument("--seed", type=int, metavar="N",
                          help="seed of the sampling (an integer)")
    sampling.add_argument("--max-new-tokens", type=int, metavar="N",
                          help=f"most tokens to write, 1 to {MAX_NEW_TOKENS_LIMIT} (or the "
                          "export's default where that is larger)")
    predict.set_defaults(handler=command_predict, tensorflow=False)

    zoo = commands.add_parser(
        "zoo", help="the trained models shipped in saved_models/, with their figures",
        description="Lists the zoo: every model in BASE_DIR (default: the saved_models/ "
        "folder of this rnnzoo checkout) with its task, model, held-out figure and size; "
        "`rnnzoo predict saved_models/NAME INPUT` runs one.")
    zoo.add_argument("--base-dir", help="folder of exported models")
    zoo.add_argument("--markdown", action="store_true",
                     help="print the table of saved_models/README.md, from the cards")
    zoo.set_defaults(handler=command_zoo, tensorflow=False)
