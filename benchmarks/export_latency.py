"""Serving latency and throughput of exported SavedModels, on raw strings.

Two modes. The default (patterns) compares each pattern's SavedModel with
the in-process Keras model; `--zoo [DIR]` times the shipped models.

Patterns: for each pattern (classifier, tagger, feedback language model,
seq2seq with greedy and with beam decoding, class-conditioned generator)
the script builds a model (random weights; `--cell`, `--units`) with small
character vectorizers over a fixed alphabet, exports it with
`rnnzoo.export.saved_model.export_saved_model` into a temporary folder, as a training
run would (the model's `serving_endpoints`: text in, named outputs out,
decoding inside the graph), loads it back with `tf.saved_model.load`, and
times:
- SavedModel: its `serving_default` signature on a batch of raw strings
  (random text of `--text-length` characters; class names for the
  generator), vectorization and decoding to text included;
- Keras: the in-process model on the same token ids, as a user calls it:
  `predict_on_batch` (classifier, tagger) or `generate` (the others; a
  cached `tf.function` on TensorFlow).
The Seq2Seq has no attention. Generation writes `--decode-length` tokens
greedily (beam: width `--beam`, the settings table's length penalty); the
end token is suppressed (output bias -1e4), so every call writes them all.
Before timing, the script checks that both give the same ids (class ids,
tag ids, generated tokens); it exits with status 1 if they do not.

Zoo (`--zoo [DIR]`, default `saved_models`): the newest version of every
shipped model (`rnnzoo.export.zoo.shipped`), loaded by `tf.saved_model.load`
alone, its `serving_default` timed on raw inputs chosen by the card's task:
short sentences (classification, tagging, translation), questions like
"123+45" (the `addition` recipe), prompts like "ROMEO:" (language models),
the card's label names (conditional generation). Generation is as long as
the export was built with (it stops once every example has written its end
token). Models whose input is not text are listed, not timed.

Latency: batch 1, milliseconds per call; throughput: batch `--batch` (64),
examples per second. Everything runs in one process; after warm-up calls,
each round times every candidate (~`--seconds`, at least one call) in a
rotating order; a value is the median over rounds of the mean call time of
a round (the zoo adds the quartiles), and a ratio (patterns: SavedModel
speed / Keras speed; zoo: per-example speed at batch 64 / at batch 1) is
the median and quartiles of the per-round ratios, which cancels most of
the drift of a shared machine.

Run from the repository root (a run without --quick writes its table to
benchmarks/results/export_latency.md, or zoo_latency.md with --zoo, or
--output):

    python benchmarks/export_latency.py            # full run, ~6 min
    python benchmarks/export_latency.py --quick    # smoke test, ~1 min
    python benchmarks/export_latency.py --zoo      # the zoo: ~2 min for 6 models
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
    add_timing_arguments, fill_defaults, load, machine, ratio, spread, suppress_end,
    timed_rounds)
from rnnzoo import models  # noqa: E402
from rnnzoo.models import serving  # noqa: E402
from rnnzoo.data.vectorize import DECODER_TOKENS  # noqa: E402
from rnnzoo.data.vectorize import fixed_text_vectorizer  # noqa: E402
from rnnzoo.export.saved_model import export_saved_model  # noqa: E402

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                       "results", "export_latency.md")
EXPORT_FULL = dict(cell="gru", beam=4, units=256, text_length=40, decode_length=30,
                   batch=64, rounds=7, seconds=0.5, warmup=2)
EXPORT_QUICK = dict(cell="gru", beam=4, units=8, text_length=8, decode_length=4,
                    batch=8, rounds=3, seconds=0.01, warmup=1)
ZOO_RESULTS = os.path.join(os.path.dirname(RESULTS), "zoo_latency.md")
ZOO_FULL = dict(batch=64, rounds=7, seconds=0.5, warmup=2)
ZOO_QUICK = dict(batch=8, rounds=3, seconds=0.01, warmup=1)
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
        return serving.ServingContext(max_input_tokens=length, **kw)

    def ids(texts):
        return serving.text_to_ids(chars, tf.constant(texts), length).numpy()

    def conditions(texts):
        return np.array([LABELS.index(t) for t in texts], "int32")

    greedy = dict(temperature=0.0, seed=0)  # Keras: max_length=n; served: max_new_tokens=n
    penalty = serving.decode_defaults()["length_penalty"]  # what an export uses
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
        ("feedback LM (jordan)", lm, context(vectorizers={"tokens": chars},
                                             decode={**greedy, "max_new_tokens": n}),
         ids, lambda x: lm.generate(x, n, **greedy), "generate", "tokens",
         lambda out, x: out),
        ("seq2seq, greedy", s2s, context(vectorizers=s2s_vectorizers, decode={
            "decode_method": "greedy", "max_new_tokens": n}),
         ids, lambda x: s2s.generate(x, n)[0], "generate", "tokens", lambda out, x: out),
        (f"seq2seq, beam {args.beam}", s2s, context(vectorizers=s2s_vectorizers, decode={
            "decode_method": "beam", "beam_width": args.beam, "length_penalty": penalty,
            "max_new_tokens": n}),
         ids, lambda x: s2s.generate(x, n, "beam", args.beam, penalty)[0], "generate",
         "tokens", lambda out, x: out),
        ("generator (class)", gen, context(vectorizers={"tokens": target}, label_names=LABELS,
                                           decode={**greedy, "max_new_tokens": n}),
         conditions, lambda c: gen.generate(c, n, **greedy), "generate", "tokens",
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


# The zoo mode: the shipped SavedModels, loaded by TensorFlow alone.

#: Short sentences: what a user sends a classifier, a tagger or a translator.
SENTENCES = [
    "a gorgeous, witty film", "the plot never comes together", "I love this movie.",
    "It was a waste of two hours.", "The actors are wonderful.", "Where is the station?",
    "I am very tired today.", "She reads a book every week.", "We will come back tomorrow.",
    "the music is the best thing in it", "This is not my bag.", "Thank you for everything.",
]
#: Prompts of a language model (the zoo's are trained on Shakespeare).
PROMPTS = ["ROMEO:", "JULIET:", "KING HENRY:", "First Citizen:"]
#: Seq2seq recipes whose input is an arithmetic question.
ADDITION_RECIPES = ("addition",)
#: Served outputs shown as the example's answer, first found first.
ANSWERS = ("labels", "translation", "text", "tags", "class_ids")


def zoo_inputs(card, batch, rng):
    """`batch` raw inputs for the card's task, or `None` for a task whose
    serving input is not text (regression, forecasting)."""
    task = card["task"]
    if task == "seq2seq" and card.get("recipe") in ADDITION_RECIPES:
        digits = (card.get("dataset_config") or {}).get("digits", 3)
        return [f"{a}+{b}" for a, b in rng.integers(0, 10 ** digits, (batch, 2))]
    if task == "conditional_generation":
        pool = card.get("label_names") or [
            str(i) for i in range(card["model_config"]["num_conditions"])]
    else:
        pool = {"classification": SENTENCES, "tagging": SENTENCES, "seq2seq": SENTENCES,
                "language_model": PROMPTS}.get(task)
    return None if pool is None else [pool[i % len(pool)] for i in range(batch)]


def shown(value, limit=40):
    """A served value (bytes, list, array) as a short Markdown-safe string."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, list):
        value = " ".join(str(shown(v, limit)) for v in value if v not in (b"", ""))
    text = str(value).replace("\n", " ").replace("|", "\\|").replace("`", "'")
    return text if len(text) <= limit else text[:limit - 1] + "…"


def written(outputs):
    """`(tokens written per example, limit)` of a generating model (its
    `tokens` output keeps the end token, 0 after it), or `None`."""
    tokens = outputs["tokens"].numpy() if "tokens" in outputs else None
    return None if tokens is None else ((tokens > 0).sum(axis=1), tokens.shape[1])


def measure_zoo(args):
    """Table rows, one per shipped model, and notes on the models skipped."""
    from rnnzoo.export import zoo

    cards = zoo.shipped(args.zoo)
    if not cards:
        sys.exit(f"error: no shipped model in {args.zoo} (NAME/VERSION/ with "
                 "assets/rnnzoo.json)")
    rng, facts, candidates, notes, keep = np.random.default_rng(0), {}, {}, [], []
    for card in cards:
        name = f"{card['name']}/{card['version']}"
        print(f"loading {name}", flush=True)
        start = time.perf_counter()
        loaded = tf.saved_model.load(card["path"])
        fn = loaded.signatures["serving_default"]
        load_s = time.perf_counter() - start
        keep.append(loaded)  # The signature needs its object alive.
        (arg, spec), = fn.structured_input_signature[1].items()
        texts = {b: zoo_inputs(card, b, rng) for b in (1, args.batch)}
        if spec.dtype != tf.string or texts[1] is None:
            notes.append(f"{name} ({card['task']}): not timed, its input is not text")
            continue
        one = {k: v.numpy() for k, v in fn(**{arg: tf.constant(texts[1])}).items()}
        answer = next((one[k][0] for k in ANSWERS if k in one), "")
        tokens = [written(fn(**{arg: tf.constant(texts[b])})) for b in (1, args.batch)]
        facts[name] = (card, load_s, f"`{shown(texts[1][0])}` → `{shown(answer)}`", tokens)
        for b, batch_texts in texts.items():
            candidates[(name, b)] = lambda f=fn, a=arg, t=batch_texts: f(**{a: tf.constant(t)})
    print("timing", flush=True)
    times = timed_rounds(candidates, args.rounds, args.seconds, args.warmup) if candidates else {}
    rows, b = [], args.batch
    for name, (card, load_s, example, tokens) in facts.items():
        one, many = times[(name, 1)], times[(name, b)]
        times[(name, "per example")] = [t / b for t in many]
        counts = ["—", "—", "—"]
        if tokens[0] is not None:
            (t1, limit), (tb, _) = tokens
            counts = [f"{t1.mean():.0f}", f"{tb.mean():.1f} ({tb.max()})", f"{limit}"]
        cells = [card["name"], card["task"], example,
                 spread([1000 * t for t in one], "{:.1f}"),
                 spread([b / t for t in many], "{:.0f}"),
                 f"{1000 * statistics.median(many) / b:.2f}",
                 ratio(times, (name, "per example"), (name, 1)), *counts, f"{load_s:.1f}"]
        rows.append("| " + " | ".join(cells) + " |")
    return rows, notes


def zoo_report(args, rows, notes, load_at_start):
    b = args.batch
    return [
        "# Serving speed of the zoo's SavedModels, on CPU", "",
        *common_lines(args, load_at_start, keras_line=False),
        f"- Models: the newest version of each model in `{args.zoo}` "
        "(`rnnzoo.export.zoo.shipped`), loaded with `tf.saved_model.load` alone; each is timed "
        "through its `serving_default` signature on raw strings (vectorization, "
        "decoding and text output inside the graph), generating as many tokens as "
        "its export was built with (decoding stops early when every example has "
        "written its end token).",
        f"- Inputs by the card's task: classification, tagging and translation: short "
        f"English sentences (batch 1: `{SENTENCES[0]}`); the addition seq2seq: random "
        f"questions like `123+45`; language models: prompts (batch 1: `{PROMPTS[0]}`); "
        f"conditional generation: the card's label names in turn. Batch {b} cycles "
        "through them.",
        f"- Method: one process; median (first-third quartile) of {args.rounds} "
        f"interleaved rounds, each candidate (a model at batch 1 or {b}) timed "
        f"~{args.seconds} s (at least one call) a round after {args.warmup} warm-up "
        f"calls. Batching gain = per-example speed at batch {b} / at batch 1 (median "
        "and quartiles of the per-round ratios). Tokens: generated per example, "
        "end token included.",
        *(f"- {note}" for note in notes),
        "",
        f"| name | task | example (batch 1) | batch 1 latency ms | batch {b} examples/s "
        f"| per-example ms at {b} | batching gain | tokens, batch 1 "
        f"| tokens, batch {b}: mean (max) | token limit | load s |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        *rows, "",
    ]


# Running.

def common_lines(args, load_at_start, keras_line=True):
    command = " ".join(["python", os.path.relpath(sys.argv[0])] + sys.argv[1:])
    libraries = (f"Keras {keras.__version__} ({keras.backend.backend()}), " if keras_line
                 else "")
    return [
        f"- Date: {datetime.date.today().isoformat()}",
        f"- Machine: {machine()}; load average (1/5/15 min) {load_at_start} "
        f"at start, {load()} at end",
        f"- Versions: Python {platform.python_version()}, {libraries}TensorFlow "
        f"{tf.__version__}, NumPy {np.__version__}, rnnzoo {rnnzoo.__version__}",
        f"- Command: `{command}`",
    ]


def pattern_report(args, rows, load_at_start):
    b = args.batch
    return [
        "# Exported SavedModel vs in-process Keras, on CPU", "",
        *common_lines(args, load_at_start),
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
    ]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add = parser.add_argument
    add("--zoo", nargs="?", const="saved_models", metavar="DIR",
        help="time the shipped models in DIR (default saved_models) instead of the "
        "patterns; writes results/zoo_latency.md (or --output)")
    add("--cell", help="cell of every model but the Jordan feedback LM (default gru)")
    add("--units", type=int, help="units of every model (default 256)")
    add("--text-length", type=int, help="characters per input text (default 40)")
    add("--decode-length", type=int, help="tokens each generation writes (default 30)")
    add("--batch", type=int, help="batch of the throughput column (default 64)")
    add("--beam", type=int, help="beam width (default 4)")
    add_timing_arguments(parser, EXPORT_FULL, RESULTS)
    args = parser.parse_args(argv)
    if args.zoo is not None:
        given = [o for o in ("cell", "beam", "units", "text_length", "decode_length")
                 if getattr(args, o) is not None]
        if given:
            parser.error(f"--zoo times the shipped models as exported; drop --"
                         f"{given[0].replace('_', '-')}")
        return fill_defaults(args, ZOO_FULL, ZOO_QUICK, ZOO_RESULTS)
    return fill_defaults(args, EXPORT_FULL, EXPORT_QUICK, RESULTS)


def main(argv=None):
    args = parse_args(argv)
    tf.get_logger().setLevel("ERROR")
    load_at_start = load()
    if args.zoo is not None:
        rows, notes = measure_zoo(args)
        report, status = zoo_report(args, rows, notes, load_at_start), 0
    else:
        with tempfile.TemporaryDirectory() as base_dir:
            rows = measure(args, base_dir)
        report = pattern_report(args, rows, load_at_start)
        status = 1 if any("**no**" in row for row in rows) else 0
    report = "\n".join(report)
    print("\n" + report)
    if args.output:
        os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
        with open(args.output, "w") as f:
            f.write(report)
        print("wrote " + args.output)
    if status:
        print("error: the SavedModel and Keras disagree (same ids: no)", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
