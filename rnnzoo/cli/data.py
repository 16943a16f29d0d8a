"""`rnnzoo data prepare|check` and `rnnzoo list`: datasets and the user's files."""

from rnnzoo.cli.startup import quiet_tensorflow
from rnnzoo.errors import UsageError


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
    from rnnzoo.data.files import preview  # noqa: PLC0415

    recipe = check_recipe(args)  # Before reading the files.
    if recipe is not None and args.tokens is None:  # As `rnnzoo train RECIPE --data` reads.
        from rnnzoo.train.recipe import resolve  # noqa: PLC0415

        args.tokens = resolve(recipe)["tokens"]
    args.tokens = args.tokens or "char"
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
        print(f"  label_names: {preview(task.label_names, 20)}")
    print_run_settings(args, recipe)
    return 0


def check_recipe(args):
    """The recipe whose settings `rnnzoo data check` shows: `--recipe`, or
    the zoo's recipe of the kind; it must train on files of that kind."""
    from rnnzoo.train import user_defaults
    from rnnzoo.train.recipe import Recipe
    from rnnzoo.train.recipe import find_recipe
    from rnnzoo.train.run_data import FILE_KINDS

    if args.recipe is None and args.kind not in user_defaults.RECIPE_OF_KIND:
        return None  # An unknown kind: `from_files` says which kinds there are.
    recipe = find_recipe(args.recipe or user_defaults.RECIPE_OF_KIND[args.kind])
    kind = FILE_KINDS.get(recipe.task, recipe.task) if isinstance(recipe, Recipe) else None
    if kind != args.kind:
        raise UsageError(
            f"--recipe {recipe.name} trains on {kind or 'no'} files, not {args.kind}; "
            f"recipes of {args.kind} files: "
            f"{', '.join(user_defaults.recipes_of_kind(args.kind)) or 'none'}.")
    return recipe


def print_run_settings(args, recipe):
    """The settings `rnnzoo train RECIPE --data FILE` takes for these files:
    the data-size rule's and the recipe's, before any flag."""
    from rnnzoo.registry import model_preset
    from rnnzoo.train import user_defaults

    given = {"data": args.path, "eval_data": ",".join(args.eval) if args.eval else None,
             "tokens": args.tokens}
    settings, fit = user_defaults.resolve_for_data(recipe, given)
    preset = model_preset(settings["model"])[1]
    for name in ("units", "num_layers"):
        if settings[name] is None:
            settings[name] = preset.get(name)
    rule = (f"{fit.size:,} training {fit.unit}: band {fit.band}" if fit.size is not None
            else fit.band)
    print(f"rnnzoo train {recipe.name} --data {args.path} takes ({rule}; flags you give "
          "win):")
    print("  " + ", ".join(f"{k} {settings[k]}" for k in user_defaults.SHOWN
                           if settings[k] is not None))
    print(f"  epochs {settings['epochs']} at most: " + (
        f"it stops after {settings['patience']} epochs without a better "
        f"{settings['select_on']}" + (f" (by more than {settings['min_delta']:g})"
                                      if settings["min_delta"] else "")
        if settings["patience"] else
        "patience 0, it never stops early"))


def command_data_list(args):
    raise UsageError("`rnnzoo data list` was removed: use `rnnzoo list datasets`.")


def add_list_command(commands):
    """`rnnzoo list models|recipes|datasets`."""
    listing = commands.add_parser("list", help="list models, recipes or datasets")
    listing.add_argument("what", choices=("models", "recipes", "datasets"))
    listing.add_argument("--pattern", default="*", help="glob over model names")
    listing.set_defaults(handler=command_list, tensorflow=False)


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
    prepare.set_defaults(handler=prepare_command)

    check = subcommands.add_parser(
        "check", help="read your own file(s) as `rnnzoo train --data` does",
        description="Reads your files as `rnnzoo.data.from_files` (and `rnnzoo train "
        "--data`) does and prints the splits, vocabulary and labels it finds, or the "
        "first problem, as file:line: what; then the settings `rnnzoo train` takes for "
        "them (the data-size rule's and the recipe's).")
    check.add_argument("kind", help="language_model, classification, conditional_generation,"
                       " seq2seq, tagging or forecasting")
    check.add_argument("path", help="the (training) file")
    check.add_argument("--eval", nargs="+", metavar="FILE",
                       help="evaluation file(s): one, or validation and test")
    check.add_argument("--tokens", choices=("char", "word"),
                       help="token unit of text (default: the recipe's, else char)")
    check.add_argument("--column", default="-1", help="forecasting: CSV column name or index")
    check.add_argument("--window", type=int, default=32, help="forecasting: window length")
    check.add_argument("--recipe", help="the recipe whose settings to show for these files "
                       "(default: the zoo's recipe of KIND: imdb_sentiment, shakespeare_char, "
                       "ted_translate, ...)")
    check.set_defaults(handler=check_command)

    removed = subcommands.add_parser("list", description="Removed: use `rnnzoo list datasets`.")
    removed.set_defaults(handler=command_data_list, tensorflow=False)
