"""GPU check: train every pattern model briefly, and rnnzoo layers against
stock Keras layers, in float32 and mixed precision.

Runs where only Keras, NumPy and one backend are installed (JAX or PyTorch,
no TensorFlow: `KERAS_BACKEND=jax python benchmarks/gpu_check.py`), and under
TensorFlow too. Data are random NumPy arrays. Each measurement is the median
tokens/s (batch x timesteps per second) of timed `train_on_batch` steps after
warm-up steps (which compile). Prints a Markdown table with the device,
date and versions, and writes it to `--output` (default
`benchmarks/results/gpu_check.md`).

    KERAS_BACKEND=jax python benchmarks/gpu_check.py            # full
    KERAS_BACKEND=jax python benchmarks/gpu_check.py --quick    # seconds
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

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import rnnzoo  # noqa: E402

SIZES = {"full": dict(batch=64, steps=100, units=256, vocabulary=1000, repeats=10),
         "quick": dict(batch=8, steps=12, units=16, vocabulary=50, repeats=2)}


def device_name():
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        device = jax.devices()[0]
        return f"{device.platform}: {getattr(device, 'device_kind', device)}"
    if backend == "torch":
        import torch

        if torch.cuda.is_available():
            return f"cuda: {torch.cuda.get_device_name(0)}"
        return "cpu"
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    return f"gpu: {gpus[0].name}" if gpus else "cpu"


def on_gpu():
    return not device_name().startswith("cpu")


def throughput(model, inputs, targets, size):
    """Median training tokens/s of `model` on one batch."""
    for _ in range(2):
        model.train_on_batch(inputs, targets)
    times = []
    for _ in range(size["repeats"]):
        start = time.perf_counter()
        loss = model.train_on_batch(inputs, targets)
        float(np.asarray(loss if np.isscalar(loss) else loss[0]))  # wait for the device
        times.append(time.perf_counter() - start)
    return size["batch"] * size["steps"] / statistics.median(times)


def pattern_models(size):
    """`(name, model, inputs, targets)` of every pattern model."""
    rng = np.random.default_rng(0)
    b, t, u, v = size["batch"], size["steps"], size["units"], size["vocabulary"]
    ids = rng.integers(4, v, size=(b, t)).astype("int32")
    common = dict(cell="lstm", units=u)
    yield ("SequenceTagger", rnnzoo.models.SequenceTagger(num_tags=v, vocabulary_size=v, **common),
           ids, ids)
    yield ("SequenceClassifier", rnnzoo.models.SequenceClassifier(
        num_classes=2, vocabulary_size=v, **common), ids, rng.integers(0, 2, b))
    yield ("OutputFeedbackRNN", rnnzoo.models.OutputFeedbackRNN(
        units=u, num_classes=v, feedback_window=4), ids, ids)
    yield ("Seq2Seq (Bahdanau)", rnnzoo.models.Seq2Seq(
        source_vocabulary_size=v, target_vocabulary_size=v, attention="bahdanau", **common),
        {"source_ids": ids, "target_ids": ids}, ids)
    yield ("SequenceGenerator", rnnzoo.models.SequenceGenerator(
        vocabulary_size=v, num_conditions=2, **common),
        {"condition": rng.integers(0, 2, b).astype("int32"), "target_ids": ids}, ids)


def layer_pairs(size):
    """`(name, rnnzoo layer class, stock layer class)`."""
    return [("Elman / SimpleRNN", rnnzoo.layers.Elman, keras.layers.SimpleRNN),
            ("LSTM", rnnzoo.layers.LSTM, keras.layers.LSTM),
            ("GRU", rnnzoo.layers.GRU, keras.layers.GRU)]


def layer_model(layer_class, size):
    inputs = keras.Input((size["steps"], size["units"]))
    outputs = layer_class(size["units"], return_sequences=True)(inputs)
    model = keras.Model(inputs, keras.layers.Dense(1, dtype="float32")(outputs))
    model.compile("adam", "mse")
    return model


def measure(size):
    rows = []
    rng = np.random.default_rng(1)
    x = rng.normal(size=(size["batch"], size["steps"], size["units"])).astype("float32")
    y = rng.normal(size=(size["batch"], size["steps"], 1)).astype("float32")
    mixed = "mixed_float16" if on_gpu() else "mixed_bfloat16"
    for policy in ("float32", mixed):
        keras.config.set_dtype_policy(policy)
        for name, model, inputs, targets in pattern_models(size):
            model.compile()
            rows.append((policy, name, throughput(model, inputs, targets, size), None))
        for name, ours, stock in layer_pairs(size):
            a = throughput(layer_model(ours, size), x, y, size)
            b = throughput(layer_model(stock, size), x, y, size)
            rows.append((policy, f"rnnzoo {name}", a, a / b))
            rows.append((policy, f"keras {name}", b, None))
        keras.config.set_dtype_policy("float32")
    return rows


def table(rows, size):
    versions = f"Keras {keras.__version__} ({keras.backend.backend()}), rnnzoo {rnnzoo.__version__}"
    if keras.backend.backend() == "jax":
        import jax

        versions += f", JAX {jax.__version__}"
    lines = [
        f"- Date: {datetime.date.today().isoformat()}",
        f"- Device: {device_name()}; host {platform.node() or 'unknown'}",
        f"- Versions: {versions}, Python {platform.python_version()}",
        f"- Shapes: batch {size['batch']}, {size['steps']} steps, {size['units']} units, "
        f"vocabulary {size['vocabulary']}",
        f"- Command: KERAS_BACKEND={keras.backend.backend()} python benchmarks/gpu_check.py",
        "",
        "| precision | model or layer | training tokens/s | rnnzoo / stock |",
        "|---|---|---:|---:|",
    ]
    for policy, name, rate, ratio in rows:
        lines.append(f"| {policy} | {name} | {rate:,.0f} | {'' if ratio is None else f'{ratio:.2f}x'} |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny shapes, a smoke test")
    parser.add_argument("--output", default=os.path.join("benchmarks", "results", "gpu_check.md"))
    args = parser.parse_args(argv)
    size = SIZES["quick" if args.quick else "full"]
    text = table(measure(size), size)
    print(text)
    if not args.quick:
        os.makedirs(os.path.dirname(args.output), exist_ok=True)
        with open(args.output, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
