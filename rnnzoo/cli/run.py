"""`rnnzoo evaluate RUN_DIR` and `rnnzoo generate RUN_DIR_OR_EXPORT`."""

import os

from rnnzoo.cli.train import print_test_metrics
from rnnzoo.errors import UsageError

def command_evaluate(args):
    from rnnzoo.train.commands import evaluate_run

    print_test_metrics(args.run_dir, evaluate_run(args.run_dir))
    return 0


def check_sampling_flags(args):
    """Refuses a negative or non-finite `--temperature`, a negative
    `--top-k` and a `--max-new-tokens` below 1 (a `UsageError`)."""
    import math

    rules = {"temperature": (lambda t: math.isfinite(t) and t >= 0,
                             "a finite number >= 0 (0: greedy decoding)"),
             "top_k": (lambda k: k >= 0, "an integer >= 0 (0: every token)"),
             "max_new_tokens": (lambda n: n >= 1, "an integer >= 1")}
    for name, (ok, rule) in rules.items():
        value = getattr(args, name, None)
        if value is not None and not ok(value):
            raise UsageError(f"--{name.replace('_', '-')} must be {rule}; received {value}.")


def command_generate(args):
    check_sampling_flags(args)
    if not os.path.isfile(os.path.join(args.run_dir, "config.json")):
        return generate_from_export(args)
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


def generate_from_export(args):
    """`rnnzoo generate EXPORT_OR_ZOO_NAME`: the export's own
    `serving_default`, which decodes as it was exported, or its `sample`
    signature with the flags given (`--temperature`, `--top-k`, `--seed`,
    `--max-new-tokens`; the others as exported)."""
    from rnnzoo.decoding_defaults import SAMPLING_INPUTS
    from rnnzoo.export.predict import predict
    from rnnzoo.train.commands import GENERATED

    sampling = {name: getattr(args, name) for name in SAMPLING_INPUTS}
    if args.condition is not None:
        instances = [{"condition": args.condition}]
    elif args.prompt:
        instances = list(args.prompt)
    else:
        raise UsageError("Give --prompt TEXT (a language model, a translator) or "
                         "--condition LABEL (a conditional generator).")
    for row in predict(args.run_dir, instances, sampling=sampling):
        found = [row[k] for k in GENERATED if k in row]
        if not found:
            raise UsageError(f"{args.run_dir} does not generate text (its outputs: "
                             f"{', '.join(sorted(row))}); `rnnzoo predict` runs it.")
        print(found[0])
    return 0


def run_dir_of(args):
    return args.run_dir


def generated_from(args):
    """The folder whose log takes an internal error of `generate`: a run
    folder's, never an export's (nor a zoo name's)."""
    folder = args.run_dir or ""
    export = os.path.isfile(os.path.join(folder, "saved_model.pb")) or (
        os.path.isdir(folder) and any(n.isdigit() for n in os.listdir(folder)))
    return None if export or not os.path.isdir(folder) else folder


def add_run_commands(commands):
    """`rnnzoo evaluate` and `rnnzoo generate`."""
    evaluate = commands.add_parser("evaluate", help="test metrics of a run folder")
    evaluate.add_argument("run_dir", help="a finished run folder")
    evaluate.set_defaults(handler=command_evaluate, run_folder=run_dir_of)

    generate = commands.add_parser("generate", help="sample from a generative run or export")
    generate.add_argument("run_dir", metavar="RUN_DIR_OR_EXPORT",
                          help="a finished run folder, an export folder or a zoo name")
    generate.add_argument("--prompt", action="append", help="text to continue (repeatable)")
    generate.add_argument("--condition", help="class label of a conditional generator")
    generate.add_argument("--max-new-tokens", type=int, metavar="N",
                          help="most tokens to write (default: the run's or the export's)")
    generate.add_argument("--temperature", type=float, metavar="T",
                          help="sampling temperature, 0 for greedy decoding (default: the "
                          "run's or the export's)")
    generate.add_argument("--top-k", type=int, metavar="K",
                          help="sample among the K likeliest tokens (default: all)")
    generate.add_argument("--seed", type=int,
                          help="sampling seed (default: the run's or the export's)")
    generate.set_defaults(handler=command_generate, run_folder=generated_from)
