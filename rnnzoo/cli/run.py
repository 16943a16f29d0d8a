"""`rnnzoo evaluate RUN_DIR` and `rnnzoo generate RUN_DIR`."""

from rnnzoo.cli.train import print_test_metrics

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


def run_dir_of(args):
    return args.run_dir


def add_run_commands(commands):
    """`rnnzoo evaluate` and `rnnzoo generate`."""
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
