"""What `rnnzoo data prepare` and `rnnzoo data check` do.

`rnnzoo.cli` defines their flags and runs them as it runs every command:
a `UsageError` is the user's mistake (exit 2, one line), anything else an
internal error.
"""

from rnnzoo.errors import UsageError


def prepare_command(args):
    """`rnnzoo data prepare DATASET --from FILE... [--data-dir DIR]`."""
    from rnnzoo import data  # noqa: PLC0415 (TensorFlow loads slowly)

    try:
        path = data.prepare(
            args.dataset, args.files, data_dir=args.data_dir,
            build=not args.no_build, force=args.force,
        )
    except UsageError:
        raise
    except (ValueError, FileNotFoundError) as error:
        # What `data.prepare` raises for files that are not those the
        # dataset needs (missing, wrong checksum, malformed).
        raise UsageError(str(error)) from error
    print(f"{args.dataset}: source cached at {path}")
    if not args.no_build:
        print(f"{args.dataset}: prepared; load it with "
              f"rnnzoo.data.load({args.dataset!r}"
              + (f", data_dir={args.data_dir!r}" if args.data_dir else "")
              + ")")
    return 0


def check_command(args):
    """`rnnzoo data check KIND FILE [--eval FILE...]`: reads the user's
    files as `rnnzoo.data.from_files` does and prints what it found."""
    from rnnzoo import data  # noqa: PLC0415

    column = int(args.column) if args.column.lstrip("-").isdigit() else args.column
    try:
        task = data.from_files(
            args.kind, args.path, args.eval, tokens=args.tokens, column=column,
            window=args.window,
        )
    except UsageError:
        raise
    except ValueError as error:
        # What `data.from_files` raises for an unknown kind or option.
        raise UsageError(str(error)) from error
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

