"""Latency and throughput of exported SavedModels against in-process Keras.

For each pattern (classifier, tagger, feedback language model, seq2seq with
greedy and with beam decoding, class-conditioned generator) the script
builds a model (random weights; `--cell`, `--units`) with small character
vectorizers over a fixed alphabet, exports it with
`rnnzoo.export.export_saved_model` into a temporary folder, as a training
run would (text in, named outputs out, decoding inside the graph), loads it
back with `tf.saved_model.load`, and times:
- SavedModel: its `serving_default` signature on a batch of raw strings
  (random text of `--text-length` characters; class names for the
  generator), vectorization and decoding to text included;
- Keras: the in-process model on the same token ids, as a user calls it:
  `predict_on_batch` (classifier, tagger) or `generate` (the others; a
  cached `tf.function` on TensorFlow).
The Seq2Seq has no attention. Generation writes
`--decode-length` tokens greedily (beam: width 4); the
end token is suppressed (its output bias set to -1e4), so every call
writes them all. Before timing, the script checks that both give the same
ids (class ids, tag ids, generated tokens).

Latency: batch 1, milliseconds per call; throughput: batch `--batch` (64),
examples per second. Everything runs in one process; after warm-up calls,
each round times every candidate (~`--seconds`, at least one call) in a
rotating order; a value is the median over rounds of the mean call time of
a round, and a ratio (SavedModel speed / Keras speed) is the median and
quartiles of the per-round ratios, which cancels most of the drift of a
shared machine.

Run from the repository root (a run without --quick writes its table to
benchmarks/results/export_latency.md, or --output):

    python benchmarks/export_latency.py            # full run, ~6 min
    python benchmarks/export_latency.py --quick    # smoke test, ~1 min
"""

import argparse
import datetime
import os
import platform
import statistics
import string
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import rnnzoo  # noqa: E402
from timing import (  # noqa: E402
    add_timing_arguments, fill_defaults, load, machine, ratio, suppress_end, timed_rounds)
from rnnzoo import models  # noqa: E402
from rnnzoo import serving  # noqa: E402
from rnnzoo.data.vectorize import DECODER_TOKENS  # noqa: E402
from rnnzoo.data.vectorize import fixed_text_vectorizer  # noqa: E402
from rnnzoo.export import export_saved_model  # noqa: E402

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                       "results", "export_latency.md")
EXPORT_FULL = dict(units=256, text_length=40, decode_length=30, batch=64, rounds=7,
                   seconds=0.5, warmup=2)
EXPORT_QUICK = dict(units=8, text_length=8, decode_length=4, batch=8, rounds=2,
                    seconds=0.01, warmup=1)
ALPHABET = string.ascii_lowercase + string.digits + " .,+"
LABELS, TAGS = ["negative", "positive"], ["O", "PER", "LOC", "ORG", "MISC"]


def patterns(args):
    """[(pattern, model, context, inputs(texts) -> Keras input, Keras call,
    description of the call, served output key, Keras output -> ids)]."""
    cell, u, n = args.cell, args.units, args.decode_length
    chars = fixed_text_vectorizer(ALPHABET, name="tokens")
    target = fixed_text_vectorizer(ALPHABET, reserved=DECODER_TOKENS, name="target")
    v, vt = chars.vocabulary_size(), target.vocabulary_size()
    start, end = 2, 3  # [START], [END] in the target vocabulary
    length = args.text_length + 10  # serving cuts text at this many tokens

    def context(**kw):
        return serving.ServingContext(max_length=length, **kw)

    def ids(texts):
        return serving.text_to_ids(chars, tf.constant(texts), length).numpy()

    def conditions(texts):
        return np.array([LABELS.index(t) for t in texts], "int32")

    greedy = dict(max_length=n, temperature=0.0, seed=0)
    clf = models.SequenceClassifier(cell=cell, units=u, num_classes=2, vocabulary_size=v)
    tag = models.SequenceTagger(cell=cell, units=u, num_tags=len(TAGS), vocabulary_size=v)
    lm = models.OutputFeedbackRNN(units=u, num_classes=v)
    s2s = suppress_end(models.Seq2Seq(
        cell=cell, units=u, source_vocabulary_size=v, target_vocabulary_size=vt,
        start_id=start, end_id=end), end)
    gen = suppress_end(models.SequenceGenerator(
        cell=cell, units=u, vocabulary_size=vt, num_conditions=len(LABELS),
        start_id=start, end_id=end), end)
    s2s_vectorizers = {"source": chars, "target": target}
    return [
        ("classifier", clf, context(vectorizers={"tokens": chars}, label_names=LABELS),
         ids, clf.predict_on_batch, "predict_on_batch", "class_ids",
         lambda out, x: out.argmax(-1)),
        ("tagger", tag, context(vectorizers={"tokens": chars}, label_names=TAGS),
         ids, tag.predict_on_batch, "predict_on_batch", "tag_ids",
         lambda out, x: np.where(x > 0, out.argmax(-1), 0)[:, :-1]),
        ("feedback LM (jordan)", lm, context(vectorizers={"tokens": chars}, decode=greedy),
         ids, lambda x: lm.generate(x, **greedy), "generate", "tokens",
         lambda out, x: out),
        ("seq2seq, greedy", s2s, context(vectorizers=s2s_vectorizers, decode={
            "method": "greedy", "max_length": n}),
         ids, lambda x: s2s.generate(x, n)[0], "generate", "tokens", lambda out, x: out),
        (f"seq2seq, beam {args.beam}", s2s, context(vectorizers=s2s_vectorizers, decode={
            "method": "beam", "beam_width": args.beam, "max_length": n}),
         ids, lambda x: s2s.generate(x, n, "beam", args.beam)[0], "generate", "tokens",
         lambda out, x: out),
        ("generator (class)", gen, context(vectorizers={"tokens": target},
                                           label_names=LABELS, decode=greedy),
         conditions, lambda c: gen.generate(c, **greedy), "generate", "tokens",
         lambda out, x: out),
    ]


def texts_for(pattern, batch, rng, length):
    if pattern.startswith("generator"):
        return [LABELS[i % len(LABELS)] for i in range(batch)]
    letters = np.array(list(ALPHABET))
    return ["".join(rng.choice(letters, length)) for _ in range(batch)]


def measure(args, base_dir):
    """Table rows, one per pattern."""
    rng, facts, candidates = np.random.default_rng(0), {}, {}
    for name, model, context, inputs, call, how, key, to_ids in patterns(args):
        print(f"exporting {name}", flush=True)
        start = time.perf_counter()
        folder = "".join(c if c.isalnum() else "_" for c in name)
        path = export_saved_model(model, folder, base_dir, context=context)
        facts[name] = (time.perf_counter() - start, how, [])
        fn = tf.saved_model.load(path).signatures["serving_default"]
        (arg, spec), = fn.structured_input_signature[1].items()
        for batch in (1, args.batch):
            texts = texts_for(name, batch, rng, args.text_length)
            x = inputs(texts)
            served = fn(**{arg: tf.constant(texts, spec.dtype)})[key].numpy()
            facts[name][2].append(np.array_equal(served, to_ids(call(x), x)))
            candidates[(name, batch, "saved")] = (
                lambda f=fn, a=arg, t=texts, d=spec.dtype: f(**{a: tf.constant(t, d)}))
            candidates[(name, batch, "keras")] = lambda c=call, x=x: c(x)
    print("timing", flush=True)
    times = timed_rounds(candidates, args.rounds, args.seconds, args.warmup)
    rows = []
    for name, (export_s, how, same) in facts.items():
        b1, bn = (name, 1), (name, args.batch)
        ms = [f"{1000 * statistics.median(times[b1 + (s,)]):.1f}" for s in ("saved", "keras")]
        per_s = [f"{args.batch / statistics.median(times[bn + (s,)]):.0f}"
                 for s in ("saved", "keras")]
        cells = [name, f"`{how}`", *ms, ratio(times, b1 + ("saved",), b1 + ("keras",)),
                 *per_s, ratio(times, bn + ("saved",), bn + ("keras",)),
                 "yes" if all(same) else "**no**", f"{export_s:.1f}"]
        rows.append("| " + " | ".join(cells) + " |")
    return rows


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add = parser.add_argument
    add("--cell", default="gru", help="cell of every model but the Jordan "
        "feedback LM (default gru)")
    add("--units", type=int, help="units of every model (default 256)")
    add("--text-length", type=int, help="characters per input text (default 40)")
    add("--decode-length", type=int, help="tokens each generation writes (default 30)")
    add("--batch", type=int, help="batch of the throughput column (default 64)")
    add("--beam", type=int, default=4, help="beam width (default 4)")
    add_timing_arguments(parser, EXPORT_FULL, RESULTS)
    return fill_defaults(parser.parse_args(argv), EXPORT_FULL, EXPORT_QUICK, RESULTS)


def main(argv=None):
    args = parse_args(argv)
    tf.get_logger().setLevel("ERROR")
    load_at_start = load()
    with tempfile.TemporaryDirectory() as base_dir:
        rows = measure(args, base_dir)
    command = " ".join(["python", os.path.relpath(sys.argv[0])] + sys.argv[1:])
    b = args.batch
    report = "\n".join([
        "# Exported SavedModel vs in-process Keras, on CPU", "",
        f"- Date: {datetime.date.today().isoformat()}",
        f"- Machine: {machine()}; load average (1/5/15 min) {load_at_start} "
        f"at start, {load()} at end",
        f"- Versions: Python {platform.python_version()}, Keras {keras.__version__} "
        f"({keras.backend.backend()}), TensorFlow {tf.__version__}, NumPy "
        f"{np.__version__}, rnnzoo {rnnzoo.__version__}",
        f"- Command: `{command}`",
        f"- Method: one process; median of {args.rounds} interleaved rounds, each "
        f"candidate timed ~{args.seconds} s (at least one call) a round after "
        f"{args.warmup} warm-up calls. Models: {args.cell} cells (the feedback LM: "
        f"Jordan), {args.units} units, random weights, character vocabulary of "
        f"{len(ALPHABET)} symbols; inputs {args.text_length} characters; "
        f"generation writes {args.decode_length} tokens (beam width {args.beam}).",
        "- SavedModel = `serving_default` of the export on raw strings "
        "(vectorization, decoding and text output inside the graph); Keras = the "
        "in-process model on the same ids. Ratio = SavedModel speed / Keras speed "
        "(median and quartiles of the per-round ratios); same ids = the two "
        "agree on class ids, tag ids or generated tokens.",
        "",
        "| pattern | Keras call | batch 1 ms, SavedModel | batch 1 ms, Keras "
        f"| batch 1 ratio (quartiles) | batch {b} ex/s, SavedModel "
        f"| batch {b} ex/s, Keras | batch {b} ratio (quartiles) | same ids "
        "| export s |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|---:|",
        *rows, "",
    ])
    print("\n" + report)
    if args.output:
        os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
        with open(args.output, "w") as f:
            f.write(report)
        print("wrote " + args.output)


if __name__ == "__main__":
    main()
