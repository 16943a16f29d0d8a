"""Training and inference throughput of the rnnzoo layers on CPU.

Measures tokens/s (batch x timesteps per second) of each rnnzoo layer beside
- its stock Keras twin (Elman vs `keras.layers.SimpleRNN`, LSTM vs `LSTM`,
  GRU vs `GRU`; Jordan, which has no twin, vs a same-size rnnzoo Elman);
- `keras.layers.RNN` around a plainly written `keras.ops` cell (the textbook
  Elman, LSTM and GRU equations and nothing else);
- `torch.nn.RNN` / `LSTM` / `GRU`, when torch is importable (denormals
  flushed, as TensorFlow does; OpenMP workers sleep when idle).

Each layer returns its whole sequence into an MSE loss. Training is one real
step (forward, backward, Adam update): `model.train_on_batch` on tensors made
once, with Keras's CPU default `jit_compile=False` (torch: `backward()`,
`optimizer.step()`). Inference is `model.predict_on_batch`, a compiled
predict function (torch: under `inference_mode`). All candidates share one
process; after a warm-up, each round times every candidate once, in a
rotating order. The table gives the median over rounds; a ratio is the
median of the per-round ratios, which cancels most of the drift of a shared
machine.

Run from the repository root (shapes are BxTxDxH: batch, timesteps, input
features, units; a run without --quick writes its table to
benchmarks/results/layer_throughput.md, or --output):

    python benchmarks/layer_throughput.py              # full run, ~10 min
    python benchmarks/layer_throughput.py --quick      # smoke test, seconds
    python benchmarks/layer_throughput.py --layers elman,lstm --rounds 5
"""

import argparse
import datetime
import os
import platform
import statistics
import sys
import time

import keras
import numpy as np
import tensorflow as tf
from keras import ops

import rnnzoo
from timing import add_timing_arguments, fill_defaults, load, machine

# torch's OpenMP workers spin while they wait; on cores shared with
# TensorFlow's thread pool (and other jobs) that made its timings erratic
# (2k-76k tokens/s for one LSTM). Sleeping workers give steady numbers.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
try:
    import torch

    torch.set_flush_denormal(True)  # TensorFlow flushes denormals too.
except ImportError:
    torch = None

FAMILIES = ("elman", "jordan", "lstm", "gru")
HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "results", "layer_throughput.md")
LAYER_FULL = dict(shapes="64x100x128x256,64x50x128x128", rounds=9, seconds=0.6,
                  warmup=3)
LAYER_QUICK = dict(shapes="4x5x8x8", rounds=2, seconds=0.01, warmup=1)


# Plain cells: the textbook equations in keras.ops, as a user would write them.
class PlainElmanCell(keras.layers.Layer):
    gates = 1

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = self.state_size = self.output_size = units

    def build(self, input_shape):
        n = self.gates * self.units
        self.w = self.add_weight((input_shape[-1], n), "glorot_uniform")
        self.u = self.add_weight((self.units, n), "orthogonal")
        self.b = self.add_weight((n,), "zeros")

    def call(self, x, states):
        h = states[0]
        h = ops.tanh(ops.matmul(x, self.w) + ops.matmul(h, self.u) + self.b)
        return h, [h]


class PlainLSTMCell(PlainElmanCell):
    gates = 4

    def __init__(self, units, **kwargs):
        super().__init__(units, **kwargs)
        self.state_size = [units, units]

    def call(self, x, states):
        h, c = states
        z = ops.matmul(x, self.w) + ops.matmul(h, self.u) + self.b
        i, f, g, o = ops.split(z, 4, axis=-1)
        c = ops.sigmoid(f) * c + ops.sigmoid(i) * ops.tanh(g)
        h = ops.sigmoid(o) * ops.tanh(c)
        return h, [h, c]


class PlainGRUCell(PlainElmanCell):  # reset_after=True, as stock Keras
    gates = 3

    def build(self, input_shape):
        super().build(input_shape)
        self.recurrent_b = self.add_weight((3 * self.units,), "zeros")

    def call(self, x, states):
        h = states[0]
        xz, xr, xh = ops.split(ops.matmul(x, self.w) + self.b, 3, axis=-1)
        u = ops.matmul(h, self.u) + self.recurrent_b
        uz, ur, uh = ops.split(u, 3, axis=-1)
        z, r = ops.sigmoid(xz + uz), ops.sigmoid(xr + ur)
        h = z * h + (1 - z) * ops.tanh(xh + r * uh)
        return h, [h]


def keras_steps(make_layer, shape):
    """(train, infer) step functions of a one-layer Keras model."""
    b, t, d, h = shape
    inputs = keras.Input((t, d), batch_size=b)
    model = keras.Model(inputs, make_layer(h)(inputs))
    model.compile(optimizer="adam", loss="mse", jit_compile=False)
    rng = np.random.default_rng(0)
    x = ops.convert_to_tensor(rng.standard_normal((b, t, d), "float32"))
    y = ops.convert_to_tensor(rng.standard_normal((b, t, h), "float32"))
    return (lambda: model.train_on_batch(x, y),
            lambda: model.predict_on_batch(x))


def torch_steps(module_class, shape):
    """(train, infer) step functions of one torch.nn recurrent module."""
    b, t, d, h = shape
    torch.manual_seed(0)
    rnn = module_class(d, h, batch_first=True)
    optimizer = torch.optim.Adam(rnn.parameters())
    x, y = torch.randn(b, t, d), torch.randn(b, t, h)

    def train():
        optimizer.zero_grad()
        torch.nn.functional.mse_loss(rnn(x)[0], y).backward()
        optimizer.step()

    def infer():
        with torch.inference_mode():
            rnn(x)

    return train, infer


def sequences(layer_class, **kwargs):
    return lambda h: layer_class(h, return_sequences=True, **kwargs)


def plain(cell_class):
    return lambda h: keras.layers.RNN(cell_class(h), return_sequences=True)


def candidates(families):
    """[(name, steps(shape) -> (train, infer), reference names)]."""
    L, K = rnnzoo.layers, keras.layers
    specs = {
        "elman": [
            ("rnnzoo Elman", sequences(L.Elman),
             ["keras SimpleRNN", "plain Elman cell"]),
            ("keras SimpleRNN", sequences(K.SimpleRNN), []),
            ("plain Elman cell", plain(PlainElmanCell), []),
            ("torch RNN", "RNN", []),
        ],
        "jordan": [
            ("rnnzoo Jordan", lambda h: L.Jordan(
                h, output_units=h, return_sequences=True), ["rnnzoo Elman"]),
        ],
        "lstm": [
            ("rnnzoo LSTM", sequences(L.LSTM),
             ["keras LSTM", "plain LSTM cell"]),
            ("keras LSTM", sequences(K.LSTM), []),
            ("plain LSTM cell", plain(PlainLSTMCell), []),
            ("torch LSTM", "LSTM", []),
        ],
        "gru": [
            ("rnnzoo GRU", sequences(L.GRU), ["keras GRU", "plain GRU cell"]),
            ("keras GRU", sequences(K.GRU), []),
            ("plain GRU cell", plain(PlainGRUCell), []),
            ("torch GRU", "GRU", []),
        ],
    }
    if "jordan" in families and "elman" not in families:
        families = ["elman"] + list(families)  # Jordan's reference only.
        specs["elman"] = specs["elman"][:1]
    chosen = []
    for family in families:
        for name, make, refs in specs[family]:
            if isinstance(make, str):  # a torch.nn module
                if torch is None:
                    continue
                steps = lambda s, m=getattr(torch.nn, make): torch_steps(m, s)
            else:
                steps = lambda s, m=make: keras_steps(m, s)
            chosen.append((name, steps, refs))
    return chosen


def rate(step, n, tokens):
    start = time.perf_counter()
    for _ in range(n):
        step()
    return n * tokens / (time.perf_counter() - start)


def benchmark(shape, specs, rounds, seconds, warmup):
    """{name: {"train": [tokens/s of each round], "infer": [...]}}."""
    tokens = shape[0] * shape[1]
    runs = {}  # name -> mode -> (step function, steps per measurement)
    for name, make_steps, _ in specs:
        print(f"  warming up {name}", flush=True)
        runs[name] = {}
        for mode, step in zip(("train", "infer"), make_steps(shape)):
            for _ in range(warmup):
                step()
            n = max(1, round(seconds * rate(step, 1, tokens) / tokens))
            runs[name][mode] = (step, n)
    names = list(runs)
    rates = {name: {"train": [], "infer": []} for name in names}
    for r in range(rounds):
        for name in names[r % len(names):] + names[: r % len(names)]:
            for mode, (step, n) in runs[name].items():
                rates[name][mode].append(rate(step, n, tokens))
        print(f"  round {r + 1}/{rounds}", flush=True)
    return rates


def ratio(rates, name, ref, mode):
    """Median and quartiles of the per-round ratios, as text."""
    r = [a / b for a, b in zip(rates[name][mode], rates[ref][mode])]
    q1, q2, q3 = statistics.quantiles(r, n=4) if len(r) > 1 else r * 3
    return f"{q2:.2f}x ({q1:.2f}-{q3:.2f})"


def table(results, specs):
    """Markdown table of median tokens/s and per-round ratios."""
    lines = [
        "| shape BxTxDxH | layer | train tok/s | infer tok/s "
        "| compared with | train ratio (quartiles) | infer ratio (quartiles) |",
        "|---|---|---:|---:|---|---:|---:|",
    ]
    modes = ("train", "infer")
    for shape, rates in results.items():
        label = "x".join(map(str, shape))
        for name, _, refs in specs:
            medians = [statistics.median(rates[name][m]) for m in modes]
            cells = [label, name] + [f"{v / 1000:.1f}k" for v in medians]
            compared = [[ref] + [ratio(rates, name, ref, m) for m in modes]
                        for ref in refs if ref in rates] or [["", "", ""]]
            for i, ratios in enumerate(compared):
                row = cells if i == 0 else [label, name, "", ""]
                lines.append("| " + " | ".join(row + ratios) + " |")
    return "\n".join(lines)


def versions():
    parts = [f"Python {platform.python_version()}",
             f"Keras {keras.__version__} ({keras.backend.backend()})",
             f"TensorFlow {tf.__version__}", f"NumPy {np.__version__}",
             f"rnnzoo {getattr(rnnzoo, '__version__', '?')}"]
    if torch is not None:
        threads = torch.get_num_threads()
        policy = os.environ["OMP_WAIT_POLICY"]
        parts.append(f"PyTorch {torch.__version__} ({threads} threads, "
                     f"OMP_WAIT_POLICY={policy})")
    return ", ".join(parts)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add = parser.add_argument
    add("--shapes", help="comma-separated BxTxDxH (default: "
        "64x100x128x256,64x50x128x128)")
    add("--layers", default=",".join(FAMILIES),
        help="comma-separated subset of " + ",".join(FAMILIES))
    add_timing_arguments(parser, LAYER_FULL, RESULTS)
    args = fill_defaults(parser.parse_args(argv), LAYER_FULL, LAYER_QUICK, RESULTS)
    args.shapes = [tuple(map(int, s.split("x"))) if s.count("x") == 3
                   and s.replace("x", "").isdigit() else None
                   for s in args.shapes.split(",")]
    if None in args.shapes:
        parser.error("--shapes takes BxTxDxH[,...], e.g. 64x100x128x256")
    args.layers = [f.strip() for f in args.layers.split(",")]
    unknown = sorted(set(args.layers) - set(FAMILIES))
    if unknown:
        parser.error(f"unknown --layers {unknown}; choose from {FAMILIES}")
    return args


def main(argv=None):
    args = parse_args(argv)
    tf.get_logger().setLevel("ERROR")  # retracing notes: one model each
    specs = candidates(args.layers)
    load_at_start = load()
    results = {}
    for shape in args.shapes:
        print("shape BxTxDxH = " + "x".join(map(str, shape)), flush=True)
        results[shape] = benchmark(
            shape, specs, args.rounds, args.seconds, args.warmup)
    command = " ".join(["python", os.path.relpath(sys.argv[0])] + sys.argv[1:])
    report = "\n".join([
        "# Layer throughput on CPU",
        "",
        f"- Date: {datetime.date.today().isoformat()}",
        f"- Machine: {machine()}; load average (1/5/15 min) "
        f"{load_at_start} at start, {load()} at end",
        f"- Versions: {versions()}",
        f"- Command: `{command}`",
        f"- Method: median of {args.rounds} interleaved rounds, each "
        f"candidate timed ~{args.seconds} s a round after {args.warmup} "
        "warm-up steps. Train: `train_on_batch` (forward, backward, Adam); "
        "infer: `predict_on_batch`; whole sequences out. tok/s = batch x "
        "timesteps per second; a ratio is the median (and quartiles) of the "
        "per-round ratios to the layer it is compared with.",
        "",
        table(results, specs),
        "",
    ])
    print("\n" + report)
    if args.output:
        os.makedirs(os.path.dirname(os.path.abspath(args.output)),
                    exist_ok=True)
        with open(args.output, "w") as f:
            f.write(report)
        print("wrote " + args.output)


if __name__ == "__main__":
    main()
