"""Training and generation throughput of the pattern models on CPU.

Training: tokens/s (batch x timesteps per second) of one `train_on_batch`
step (forward, backward, Adam; `compile()` defaults) and of
`predict_on_batch`, for a language model built two ways with the same
vocabulary, units, batch and sequence length:
- `OutputFeedbackRNN` (Jordan, output-to-hidden), trained with teacher
  forcing: every step's hidden state depends on known targets only, so the
  pass runs as matrix products over the whole sequence, with no loop;
- `SequenceTagger(cell="elman")`, hidden-to-hidden: a loop over time.
Its ratio over the tagger, at several sequence lengths, shows the first
runs in parallel over time.

Generation: new tokens/s (batch x max_length over the time of one call) of
greedy and beam decoding (`beam_width` 4) of a `Seq2Seq` (GRU, Luong
attention), and greedy and sampling (temperature 1) of the tagger and
feedback language models and of a class-conditioned `SequenceGenerator`.
Each is timed eagerly (the decoding method called directly: one Python
iteration per step) and traced, the same decoding wrapped in one
`tf.function`, as an export runs it and as `model.generate` runs it on
TensorFlow. The end token is suppressed (its
output bias set to -1e4), so every call writes `max_length` tokens; the
prompts of the language models (10 tokens) are primed inside the timed
call, and their tokens are not counted.

All candidates share one process; after warm-up steps (which trace), each
round times every candidate once (~`--seconds`, at least one call), in a
rotating order. A rate is the median over rounds; a ratio is the median
(and quartiles) of the per-round ratios, which cancels most of the drift
of a shared machine.

Run from the repository root (a run without --quick writes its table to
benchmarks/results/pattern_throughput.md, or --output):

    python benchmarks/pattern_throughput.py            # full run, ~10 min
    python benchmarks/pattern_throughput.py --quick    # smoke test, seconds
    python benchmarks/pattern_throughput.py --lengths 100 --rounds 5
"""

import argparse
import datetime
import os
import platform
import statistics
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import rnnzoo  # noqa: E402
from timing import (  # noqa: E402
    add_timing_arguments, fill_defaults, load, machine, ratio, suppress_end, timed_rounds)
from rnnzoo import models  # noqa: E402

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                       "results", "pattern_throughput.md")
PROMPT, SOURCE, START, END = 10, 20, 2, 3  # prompt/source lengths, ids
PATTERN_FULL = dict(lengths="50,100,200", batch=64, units=256, vocabulary=64,
                    max_length=50, rounds=7, seconds=0.8, warmup=2)
PATTERN_QUICK = dict(lengths="5,10", batch=4, units=8, vocabulary=16, max_length=4,
                     rounds=2, seconds=0.01, warmup=1)



def end_suppressed(model):
    return suppress_end(model, END)

def rate(times, name, work):
    return f"{work / statistics.median(times[name]) / 1000:.1f}k"


def training(args, steps):
    """Table rows of the training comparison at one sequence length."""
    v, b = args.vocabulary, args.batch
    built = {
        "OutputFeedbackRNN (jordan)": models.OutputFeedbackRNN(
            units=args.units, num_classes=v),
        "SequenceTagger (elman)": models.SequenceTagger(
            cell="elman", units=args.units, num_tags=v, vocabulary_size=v),
    }
    ids = np.random.default_rng(steps).integers(1, v, (b, steps + 1), "int32")
    x, y = ids[:, :-1], ids[:, 1:]  # a language model: inputs = previous targets
    candidates = {}
    for name, model in built.items():
        model.compile()
        candidates[(name, "train")] = lambda m=model: m.train_on_batch(x, y)
        candidates[(name, "infer")] = lambda m=model: m.predict_on_batch(x)
    print(f"training, T = {steps}", flush=True)
    times = timed_rounds(candidates, args.rounds, args.seconds, args.warmup)
    (feedback, tagger), rows = list(built), []
    for name, model in built.items():
        cells = [str(steps), name, f"{model.count_params():,}"]
        cells += [rate(times, (name, m), b * steps) for m in ("train", "infer")]
        cells += [ratio(times, (feedback, m), (tagger, m)) if name == feedback
                  else "" for m in ("train", "infer")]
        rows.append("| " + " | ".join(cells) + " |")
    return rows


def generators(args):
    """{(model, decoding): (eager call, traceable call, its input)}."""
    u, v, b, n = args.units, args.vocabulary, args.batch, args.max_length
    rng = np.random.default_rng(0)
    source = rng.integers(4, v, (b, SOURCE), "int32")
    prompt = rng.integers(4, v, (b, PROMPT), "int32")
    s2s = end_suppressed(models.Seq2Seq(
        cell="gru", units=u, source_vocabulary_size=v, target_vocabulary_size=v,
        attention="luong", start_id=START, end_id=END))
    found = {}
    for method, label in (("greedy", "greedy"), ("beam", f"beam {args.beam}")):
        kw = dict(max_length=n, method=method, beam_width=args.beam)
        found[("Seq2Seq (gru, luong)", label)] = (
            lambda kw=kw: s2s.decode(source, **kw),
            lambda s, kw=kw: s2s.decode(s, **kw)[0], source)
    samplers = {
        "SequenceTagger LM (elman)": (prompt, models.SequenceTagger(
            cell="elman", units=u, num_tags=v, vocabulary_size=v, task="language_model")),
        "OutputFeedbackRNN LM (jordan)": (prompt, models.OutputFeedbackRNN(
            units=u, num_classes=v)),
        "SequenceGenerator (gru, class)": (
            rng.integers(0, 2, (b,), "int32"), end_suppressed(models.SequenceGenerator(
                cell="gru", units=u, vocabulary_size=v, num_conditions=2,
                start_id=START, end_id=END))),
    }
    for name, (x, m) in samplers.items():
        for temperature, label in ((0.0, "greedy"), (1.0, "sampling")):
            kw = dict(max_length=n, temperature=temperature, seed=0)
            found[(name, label)] = (lambda m=m, x=x, kw=kw: m.sample_tokens(x, **kw),
                                    lambda x, m=m, kw=kw: m.sample_tokens(x, **kw), x)
    return found


def generation(args):
    """Table rows of the generation comparison."""
    found, candidates = generators(args), {}
    for key, (eager, traceable, inputs) in found.items():
        traced = tf.function(traceable)
        candidates[key + ("eager",)] = eager
        candidates[key + ("traced",)] = lambda f=traced, x=inputs: f(x).numpy()
    print("generation", flush=True)
    times = timed_rounds(candidates, args.rounds, args.seconds, args.warmup)
    work, rows = args.batch * args.max_length, []
    for name, label in found:
        key = (name, label)
        greedy = "" if label == "greedy" else ratio(
            times, key + ("traced",), (name, "greedy", "traced"))
        cells = [name, label, rate(times, key + ("eager",), work),
                 rate(times, key + ("traced",), work),
                 ratio(times, key + ("traced",), key + ("eager",)), greedy]
        rows.append("| " + " | ".join(cells) + " |")
    return rows


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add = parser.add_argument
    add("--lengths", help="comma-separated training sequence lengths "
        "(default 50,100,200)")
    add("--batch", type=int, help="batch size (default 64)")
    add("--units", type=int, help="units of every model (default 256)")
    add("--vocabulary", type=int, help="vocabulary size (default 64)")
    add("--max-length", type=int, help="new tokens per generation (default 50)")
    add("--beam", type=int, default=4, help="beam width (default 4)")
    add_timing_arguments(parser, PATTERN_FULL, RESULTS)
    args = fill_defaults(parser.parse_args(argv), PATTERN_FULL, PATTERN_QUICK, RESULTS)
    args.lengths = [int(t) for t in args.lengths.split(",")]
    return args


def main(argv=None):
    args = parse_args(argv)
    tf.get_logger().setLevel("ERROR")
    load_at_start = load()
    train_rows = [row for t in args.lengths for row in training(args, t)]
    generation_rows = generation(args)
    command = " ".join(["python", os.path.relpath(sys.argv[0])] + sys.argv[1:])
    report = "\n".join([
        "# Pattern model throughput on CPU", "",
        f"- Date: {datetime.date.today().isoformat()}",
        f"- Machine: {machine()}; load average (1/5/15 min) {load_at_start} "
        f"at start, {load()} at end",
        f"- Versions: Python {platform.python_version()}, Keras {keras.__version__} "
        f"({keras.backend.backend()}), TensorFlow {tf.__version__}, NumPy "
        f"{np.__version__}, rnnzoo {rnnzoo.__version__}",
        f"- Command: `{command}`",
        f"- Method: one process; median of {args.rounds} interleaved rounds, each "
        f"candidate timed ~{args.seconds} s (at least one call) a round after "
        f"{args.warmup} warm-up calls; batch {args.batch}, vocabulary "
        f"{args.vocabulary}, units {args.units}; a ratio is the median (and "
        "quartiles) of the per-round ratios.", "",
        "## Training: parallel over time (teacher forcing) vs a loop over time", "",
        "tok/s = batch x T per second; train = `train_on_batch` (forward, backward, "
        "Adam), infer = `predict_on_batch`; ratio = OutputFeedbackRNN / SequenceTagger.",
        "",
        "| T | model | params | train tok/s | infer tok/s "
        "| train ratio (quartiles) | infer ratio (quartiles) |",
        "|---:|---|---:|---:|---:|---:|---:|", *train_rows, "",
        "## Generation", "",
        f"New tokens/s = batch x {args.max_length} new tokens per second of one "
        "call (end token suppressed). Eager = the decoding method called directly; "
        "traced = the same decoding in one `tf.function` (what `model.generate` "
        "and an export run). Sampling at temperature 1; language models "
        f"primed with a {PROMPT}-token prompt inside the call; Seq2Seq source "
        f"{SOURCE} tokens.", "",
        "| model | decoding | eager tok/s | traced tok/s "
        "| traced / eager (quartiles) | / greedy, traced (quartiles) |",
        "|---|---|---:|---:|---:|---:|", *generation_rows, "",
    ])
    print("\n" + report)
    if args.output:
        os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
        with open(args.output, "w") as f:
            f.write(report)
        print("wrote " + args.output)


if __name__ == "__main__":
    main()
