"""The `rnnzoo data` command: list datasets, prepare them offline, check files.

Wired into `rnnzoo.cli` with:

```python
from rnnzoo.data.cli import add_data_commands, run_data_command
add_data_commands(subparsers)          # adds `data`
...
if args.command == "data":
    return run_data_command(args)
```
"""

import sys


def add_data_commands(subparsers):
    """Adds the `data` command and its subcommands to an argparse parser."""
    data = subparsers.add_parser(
        "data",
        help="list, prepare (offline) and check datasets",
        description="Datasets: list them, prepare TFDS catalog datasets "
        "from local files, check your own files.",
    )
    commands = data.add_subparsers(dest="data_command", metavar="SUBCOMMAND")

    commands.add_parser("list", help="the datasets `rnnzoo.data.load` knows")

    prepare = commands.add_parser(
        "prepare",
        help="put local copies of a TFDS dataset's source files where TFDS "
        "finds them, then build it",
        description="Copies local source files into TFDS's download cache "
        "(verifying registered checksums), so the unchanged catalog builder "
        "runs without network, then builds the dataset.",
    )
    prepare.add_argument(
        "dataset", help="e.g. tiny_shakespeare, conll2003, imdb_reviews, "
        "ted_hrlr_translate/pt_to_en",
    )
    prepare.add_argument(
        "--from", dest="files", nargs="+", required=True, metavar="FILE",
        help="the source file(s): e.g. input.txt for tiny_shakespeare; the "
        "zip or train.txt valid.txt test.txt for conll2003",
    )
    prepare.add_argument("--data-dir", help="TFDS data directory")
    prepare.add_argument(
        "--no-build", action="store_true",
        help="only fill the download cache; build on first load",
    )
    prepare.add_argument(
        "--force", action="store_true",
        help="rebuild the dataset even if it is prepared already",
    )

    check = commands.add_parser(
        "check", help="read your own file(s) as `rnnzoo.data.from_files` does"
    )
    check.add_argument(
        "kind", help="language_model, classification, conditional_generation,"
        " seq2seq, tagging or forecasting",
    )
    check.add_argument("path", help="the (training) file")
    check.add_argument("--eval", nargs="+", metavar="FILE",
                       help="evaluation file(s): one, or validation and test")
    check.add_argument("--tokens", default="char", choices=("char", "word"))
    check.add_argument("--column", default="-1",
                       help="forecasting: CSV column name or index")
    check.add_argument("--window", type=int, default=32,
                       help="forecasting: window length")
    return data


def _list():
    from rnnzoo import data  # noqa: PLC0415 (TensorFlow loads slowly)

    names = data.list_datasets()
    width = max(len(n) for n in names)
    for name in names:
        print(f"{name:<{width}}  {data.describe(name)}")
    return 0


def _prepare(args):
    from rnnzoo import data  # noqa: PLC0415

    path = data.prepare(
        args.dataset, args.files, data_dir=args.data_dir,
        build=not args.no_build, force=args.force,
    )
    print(f"{args.dataset}: source cached at {path}")
    if not args.no_build:
        print(f"{args.dataset}: prepared; load it with "
              f"rnnzoo.data.load({args.dataset!r}"
              + (f", data_dir={args.data_dir!r}" if args.data_dir else "")
              + ")")
    return 0


def _check(args):
    from rnnzoo import data  # noqa: PLC0415

    column = int(args.column) if args.column.lstrip("-").isdigit() else args.column
    task = data.from_files(
        args.kind, args.path, args.eval, tokens=args.tokens, column=column,
        window=args.window,
    )
    print(f"{args.path}: {task.task}")
    for key in ("split_sizes", "split_characters", "split_values"):
        if key in task.info:
            print(f"  {key}: {task.info[key]}")
    for key in ("vocabulary_size", "source_vocabulary_size",
                "target_vocabulary_size", "num_classes", "num_tags",
                "mean", "std"):
        if getattr(task, key) is not None:
            print(f"  {key}: {getattr(task, key)}")
    if task.label_names:
        print(f"  label_names: {task.label_names}")
    return 0


def run_data_command(args):
    """Runs a parsed `rnnzoo data ...` command; returns the exit status.

    Errors the user can fix (a missing or malformed file, a wrong checksum,
    a dataset that cannot be prepared) print one message, not a traceback.
    """
    from rnnzoo.data.offline import DatasetNotAvailableError  # noqa: PLC0415

    command = getattr(args, "data_command", None)
    try:
        if command == "list":
            return _list()
        if command == "prepare":
            return _prepare(args)
        if command == "check":
            return _check(args)
    except (ValueError, OSError, DatasetNotAvailableError) as error:
        print(f"rnnzoo data {command}: error: {error}", file=sys.stderr)
        return 2
    print("usage: rnnzoo data {list,prepare,check} ...", file=sys.stderr)
    return 2
