"""Stock-Keras baseline for character-level translation: the LSTM seq2seq
of the keras-io example *lstm_seq2seq* (Chollet, "Character-level recurrent
sequence-to-sequence model") on the data of an rnnzoo run.

Data: a TSV file `English<TAB>French` (e.g. the first 10,000 lines of
`fra-eng.tsv`), read and split by rnnzoo itself, exactly as
`rnnzoo train ted_translate --data FILE --tokens char` does:
`shuffled_split(read_tsv(FILE), seed)` (90/5/5, seed 0: the default), with
the recipe's `max_input_tokens` (40) and `max_new_tokens` (50) from
`rnnzoo.train.recipe.resolve`. Like rnnzoo, characters are Unicode code points,
nothing is standardized (`read_tsv` strips only the target's ends), a source
is cut to `max_input_tokens` characters and a target to
`max_input_tokens - 1` before the start/end characters are added.

Model, as in the example: one-hot characters; `LSTM(256, return_state=True)`
encoder whose final `[h, c]` initialize an `LSTM(256, return_sequences=True,
return_state=True)` decoder fed the target after a start character `"\\t"`
(teacher forcing), which predicts the target followed by an end character
`"\\n"` through `Dense(num_decoder_tokens, softmax)`; rmsprop, categorical
cross-entropy, batch 64. Vocabularies come from the training split only; a
character not seen in training is an all-zeros vector (no output can
predict it). Differences from the example: padding is all zeros instead of
spaces (the encoder reads it unmasked, as the example reads its spaces,
always to the same length), and the loss gives decoder padding weight 0
(`mean_with_sample_weight`), so `loss`/`val_loss` are per real character as
rnnzoo's are.

Epoch selection: up to `--epochs` (100, as in the example) epochs with
`EarlyStopping(monitor="val_loss", patience=10, restore_best_weights=True)`:
training stops after 10 epochs without a lower validation loss and the
weights of the epoch with the lowest validation loss are kept, as rnnzoo
keeps its best epoch.

Test metrics, comparable with rnnzoo's:
- `accuracy`, `cross_entropy` (nats): teacher forced, over every real target
  position including the end character (padding left out); a target
  character unknown to training counts as an error and is left out of the
  cross-entropy (`unknown_target_positions` counts them);
- `bleu`, `chrf`: `rnnzoo.train.evaluation.translation_scores` of greedy
  translations of every test source (decoded together, one character at a
  time until `"\\n"` or `max_new_tokens` characters, the end one included);
  the references are rnnzoo's: the cut target without characters unknown
  to training; `exact_match`: share of translations equal to the cut target.
Training tokens/s: real characters (source + target, end included) per
second of training steps (validation excluded), the median over epochs
after the first (which traces the graph).

Run from the repository root (a run without --quick writes
benchmarks/results/quality/lstm_seq2seq_baseline.json, or --out):

    python benchmarks/lstm_seq2seq_baseline.py --data fra10k.tsv
    python benchmarks/lstm_seq2seq_baseline.py --data fra10k.tsv --quick
"""

import argparse
import datetime
import hashlib
import json
import os
import platform
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from timing import load, machine  # noqa: E402
from rnnzoo.data.user_files import read_tsv, shuffled_split  # noqa: E402
from rnnzoo.train.evaluation import translation_scores  # noqa: E402
from rnnzoo.train.recipe import find_recipe, resolve  # noqa: E402

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                       "results", "quality", "lstm_seq2seq_baseline.json")
RECIPE = "ted_translate"
START, END = "\t", "\n"
QUICK_SIZES = {"train": 300, "validation": 50, "test": 50}
PROBABILITY_FLOOR = 1e-7  # as Keras's categorical cross-entropy clips


def cut(pairs, max_input_tokens):
    """Pairs as rnnzoo's seq2seq data sees them: the source cut to
    `max_input_tokens` characters, the target to one fewer."""
    if max_input_tokens is None:
        return list(pairs)
    return [(s[:max_input_tokens], t[:max_input_tokens - 1]) for s, t in pairs]


def one_hot(texts, index, steps):
    """`(len(texts), steps, len(index))` float32; unknown characters and
    padding are all zeros."""
    out = np.zeros((len(texts), steps, len(index)), "float32")
    for i, text in enumerate(texts):
        for t, char in enumerate(text[:steps]):
            if char in index:
                out[i, t, index[char]] = 1.0
    return out


def arrays(pairs, source_index, target_index, source_steps):
    """`([encoder input, decoder input], decoder target, weights)`; weights
    are 1 at real decoder positions (end included), 0 at padding."""
    sources = [s for s, _ in pairs]
    targets = [t for _, t in pairs]
    steps = max(len(t) for t in targets) + 1
    weights = np.zeros((len(pairs), steps), "float32")
    for i, t in enumerate(targets):
        weights[i, :len(t) + 1] = 1.0
    return ([one_hot(sources, source_index, source_steps),
             one_hot([START + t for t in targets], target_index, steps)],
            one_hot([t + END for t in targets], target_index, steps), weights)


def build(num_encoder_tokens, num_decoder_tokens, units):
    """The training model and the encoder / one-step decoder inference
    models, sharing their layers."""
    encoder_inputs = keras.Input((None, num_encoder_tokens), name="encoder_inputs")
    decoder_inputs = keras.Input((None, num_decoder_tokens), name="decoder_inputs")
    encoder = keras.layers.LSTM(units, return_state=True, name="encoder")
    decoder = keras.layers.LSTM(units, return_sequences=True, return_state=True,
                                name="decoder")
    head = keras.layers.Dense(num_decoder_tokens, activation="softmax", name="head")
    _, h, c = encoder(encoder_inputs)
    x, _, _ = decoder(decoder_inputs, initial_state=[h, c])
    model = keras.Model([encoder_inputs, decoder_inputs], head(x), name="lstm_seq2seq")

    encoder_model = keras.Model(encoder_inputs, [h, c], name="encoder_model")
    h_in = keras.Input((units,), name="h")
    c_in = keras.Input((units,), name="c")
    x, h_out, c_out = decoder(decoder_inputs, initial_state=[h_in, c_in])
    decoder_model = keras.Model([decoder_inputs, h_in, c_in], [head(x), h_out, c_out],
                                name="decoder_model")
    return model, encoder_model, decoder_model


class TrainTime(keras.callbacks.Callback):
    """Seconds of the training steps of each epoch (validation excluded)."""

    def __init__(self):
        super().__init__()
        self.seconds, self._start = [], None

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_test_begin(self, logs=None):
        if self._start is not None:
            self.seconds.append(time.perf_counter() - self._start)
            self._start = None


def greedy_decode(encoder_model, decoder_model, sources, target_chars, max_new_tokens):
    """Greedy translations of one-hot `sources`, one character at a time."""
    h, c = encoder_model.predict_on_batch(sources)
    n, vocabulary = sources.shape[0], len(target_chars)
    step = np.zeros((n, 1, vocabulary), "float32")
    step[:, 0, target_chars.index(START)] = 1.0
    written, done = [[] for _ in range(n)], np.zeros(n, bool)
    for _ in range(max_new_tokens):
        probs, h, c = decoder_model.predict_on_batch([step, h, c])
        chosen = np.argmax(probs[:, -1], axis=-1)
        for i, k in enumerate(chosen):
            if not done[i]:
                done[i] = target_chars[k] == END
                if not done[i]:
                    written[i].append(target_chars[k])
        if done.all():
            break
        step = np.zeros_like(step)
        step[np.arange(n), 0, chosen] = 1.0
    # As rnnzoo's `detokenize`, the start character is never text.
    return ["".join(ch for ch in chars if ch != START) for chars in written]


def teacher_forced(model, inputs, targets, weights, batch_size):
    """Masked per-character accuracy and cross-entropy (nats), and counts."""
    probs = model.predict(inputs, batch_size=batch_size, verbose=0)
    real = weights > 0
    known = targets.sum(-1) > 0
    want = targets.argmax(-1)
    correct = (probs.argmax(-1) == want) & known & real
    p = np.take_along_axis(probs, want[..., None], -1)[..., 0]
    nats = -np.log(np.maximum(p, PROBABILITY_FLOOR))[real & known]
    return {"accuracy": float(correct.sum() / real.sum()),
            "cross_entropy": float(nats.mean()),
            "positions": int(real.sum()),
            "unknown_target_positions": int((real & ~known).sum())}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add = parser.add_argument
    add("--data", required=True, help="TSV file source<TAB>target (e.g. fra10k.tsv)")
    add("--epochs", type=int, default=100, help="most epochs (default 100)")
    add("--patience", type=int, default=10,
        help="stop after this many epochs without a lower val_loss (default 10)")
    add("--units", type=int, default=256, help="LSTM units (default 256)")
    add("--batch-size", type=int, default=64, help="batch size (default 64)")
    add("--quick", action="store_true", help=f"smoke test: {QUICK_SIZES['train']} "
        "training pairs, 2 epochs; no file written unless --out")
    add("--out", help=f"JSON file to write (default: {os.path.relpath(RESULTS)}; "
        "none with --quick)")
    args = parser.parse_args(argv)
    if args.quick:
        args.epochs = 2
    else:
        args.out = args.out or RESULTS
    return args


def main(argv=None):
    args = parse_args(argv)
    started, load_before = time.perf_counter(), load()
    settings = resolve(find_recipe(RECIPE), {"data": args.data, "tokens": "char"})
    seed = settings["seed"]
    max_input, max_new = settings["max_input_tokens"], settings["max_new_tokens"]
    keras.utils.set_random_seed(seed)

    raw = shuffled_split(read_tsv(args.data), seed)
    sizes = {k: len(v) for k, v in raw.items()}
    if args.quick:
        raw = {k: v[:QUICK_SIZES[k]] for k, v in raw.items()}
    cut_counts = {k: sum(len(s) > max_input or len(t) > max_input - 1 for s, t in v)
                  for k, v in raw.items()} if max_input else {}
    splits = {k: cut(v, max_input) for k, v in raw.items()}
    source_chars = sorted({ch for s, _ in splits["train"] for ch in s})
    target_chars = sorted({ch for _, t in splits["train"] for ch in t} | {START, END})
    source_index = {ch: i for i, ch in enumerate(source_chars)}
    target_index = {ch: i for i, ch in enumerate(target_chars)}
    source_steps = max(len(s) for v in splits.values() for s, _ in v)
    data = {k: arrays(v, source_index, target_index, source_steps)
            for k, v in splits.items()}

    model, encoder_model, decoder_model = build(len(source_chars), len(target_chars),
                                                args.units)
    model.compile(optimizer="rmsprop",
                  loss=keras.losses.CategoricalCrossentropy(
                      reduction="mean_with_sample_weight"),
                  weighted_metrics=["accuracy"])
    timer = TrainTime()
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=args.patience,
                                         restore_best_weights=True)
    x, y, w = data["train"]
    history = model.fit(x, y, sample_weight=w, batch_size=args.batch_size,
                        epochs=args.epochs, validation_data=data["validation"],
                        callbacks=[stop, timer], verbose=2).history
    epochs_run = len(history["loss"])
    chars_per_epoch = sum(len(s) + len(t) + 1 for s, t in splits["train"])
    rates = [chars_per_epoch / s for s in timer.seconds]
    rate = statistics.median(rates[1:] if len(rates) > 1 else rates)

    inputs, targets, weights = data["test"]
    test = teacher_forced(model, inputs, targets, weights, args.batch_size)
    hypotheses = greedy_decode(encoder_model, decoder_model, inputs[0], target_chars,
                               max_new)
    wanted = [t for _, t in splits["test"]]
    references = ["".join(ch for ch in t if ch in target_index) for t in wanted]
    test.update(translation_scores(references, hypotheses))
    test["exact_match"] = float(np.mean([h == t for h, t in zip(hypotheses, wanted)]))
    test["decoded_examples"] = len(hypotheses)
    test["samples"] = [{"source": s, "reference": r, "translation": h} for (s, _), r, h
                       in list(zip(splits["test"], references, hypotheses))[:5]]
    best = stop.best_epoch + 1 if stop.best_weights is not None else epochs_run

    with open(args.data, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    result = {
        "script": "benchmarks/lstm_seq2seq_baseline.py",
        "command": "python " + " ".join(sys.argv),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "load_average_before": load_before,
        "versions": {"python": platform.python_version(), "keras": keras.__version__,
                     "tensorflow": tf.__version__, "numpy": np.__version__,
                     "backend": keras.backend.backend()},
        "data": {
            "file": args.data, "sha256": digest,
            "split": f"rnnzoo shuffled_split(read_tsv(file), seed={seed}), as "
                     f"`rnnzoo train {RECIPE} --data FILE --tokens char`",
            "split_sizes": sizes,
            "used_sizes": {k: len(v) for k, v in splits.items()},
            "cut_to_max_input_tokens": cut_counts,
            "source_characters": len(source_chars),
            "target_characters": len(target_chars),
            "encoder_steps": source_steps,
        },
        "settings": {"units": args.units, "batch_size": args.batch_size,
                     "optimizer": "rmsprop", "loss": "categorical cross-entropy, "
                     "decoder padding weighted 0", "epochs": args.epochs,
                     "early_stopping": f"val_loss, patience {args.patience}, "
                     "restore_best_weights", "max_input_tokens": max_input,
                     "max_new_tokens": max_new, "decoding": "greedy", "seed": seed,
                     "quick": args.quick},
        "training": {"epochs_run": epochs_run, "selected_epoch": best,
                     "best_val_loss": float(min(history["val_loss"])),
                     "wall_seconds": round(time.perf_counter() - started, 1),
                     "train_seconds": round(sum(timer.seconds), 1),
                     "train_tokens_per_second": round(rate),
                     "history": {k: [round(float(x), 5) for x in v]
                                 for k, v in history.items()}},
        "test": test,
    }
    report(result)
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=2, ensure_ascii=False)
            f.write("\n")
        print(f"wrote {args.out}")


def report(result):
    t, r = result["test"], result["training"]
    rows = [
        ("test accuracy (teacher forced, per char)", f"{t['accuracy']:.4f}"),
        ("test cross-entropy (nats/char)", f"{t['cross_entropy']:.4f}"),
        ("test BLEU (greedy)", f"{t['bleu']:.2f}"),
        ("test chrF (greedy)", f"{t['chrf']:.2f}"),
        ("test exact match", f"{t['exact_match']:.4f}"),
        ("epoch selected / run", f"{r['selected_epoch']} / {r['epochs_run']}"),
        ("best val_loss (nats/char)", f"{r['best_val_loss']:.4f}"),
        ("training tokens/s", f"{r['train_tokens_per_second']}"),
        ("wall time (s)", f"{r['wall_seconds']}"),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"\n{'metric':<{width}} | value\n{'-' * width}-|------")
    for name, value in rows:
        print(f"{name:<{width}} | {value}")
    print(f"\nsplit sizes {result['data']['split_sizes']}, used "
          f"{result['data']['used_sizes']}; {result['date']}; {result['machine']}")
    for sample in t["samples"][:3]:
        print(f"  {sample['source']!r} -> {sample['translation']!r} "
              f"(reference {sample['reference']!r})")


if __name__ == "__main__":
    main()
