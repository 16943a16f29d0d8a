"""tf.distribute: mirrored replicas, multi-worker processes, sharding,
mixed precision."""

import json
import os
import socket
import subprocess
import sys

import keras
import numpy as np
import pytest

pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="tf.distribute is TensorFlow"
)

TWO_CPUS = """
import json, sys
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(
    cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
"""

LOSSES = TWO_CPUS + """
from rnnzoo.train.recipe import find_recipe
from rnnzoo.train.engine import run
settings = json.loads(sys.argv[1])
losses = {}
for strategy in ("default", "mirrored"):
    result = run(find_recipe(settings["recipe"]),
                 {**settings["run"], "strategy": strategy,
                  "output_dir": settings["output_dir"] + "/" + strategy}, verbose=0)
    losses[strategy] = result.metrics["history"]["loss"]
print(json.dumps(losses))
"""


def python(code, *args, env=None, timeout=600):
    process = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True,
        timeout=timeout, env={**os.environ, **(env or {})},
    )
    assert process.returncode == 0, process.stderr[-3000:]
    return process.stdout.strip().splitlines()[-1]


def test_mirrored_on_two_replicas_follows_the_single_device_run(tmp_path):
    run = {"smoke": True, "epochs": 3, "units": 8, "seed": 3, "steps_per_epoch": 4,
           "max_new_tokens": 8, "data_dir": str(tmp_path / "tfds")}
    losses = json.loads(python(LOSSES, json.dumps(
        {"recipe": "shakespeare_char", "run": run, "output_dir": str(tmp_path)})))
    # Same global batch, same data, same initial weights: the same losses up
    # to float summation order.
    np.testing.assert_allclose(losses["mirrored"], losses["default"], rtol=2e-4)


GLOBAL_TOKEN_MEAN = TWO_CPUS + """
import numpy as np
import keras
from rnnzoo import models
keras.utils.set_random_seed(0)
model = models.SequenceTagger(cell="gru", units=4, num_tags=5, vocabulary_size=10)
ids = np.array([[3, 4, 5, 6, 7, 8], [3, 4, 5, 6, 7, 8],   # replica 0: 12 tokens
                [3, 0, 0, 0, 0, 0], [3, 4, 0, 0, 0, 0]])  # replica 1: 3 tokens
tags = np.random.default_rng(0).integers(0, 5, ids.shape)
data = tf.data.Dataset.from_tensor_slices((ids, tags)).batch(4)
results = []
for strategy in (tf.distribute.get_strategy(),
                 tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])):
    with strategy.scope():
        clone = models.SequenceTagger.from_config(model.get_config())
        clone.set_weights(model.get_weights())
        clone.compile()
    results.append(clone.evaluate(data, verbose=0, return_dict=True)["loss"])
print(json.dumps(results))
"""


def test_sequence_loss_is_the_mean_over_the_global_batchs_tokens():
    single, mirrored = json.loads(python(GLOBAL_TOKEN_MEAN))
    # The mean of the two replicas' means would weigh 3 tokens like 12.
    np.testing.assert_allclose(mirrored, single, rtol=1e-6)


SHARDS = TWO_CPUS + """
import numpy as np
from rnnzoo.train import distribute
strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
dataset = distribute.shard(tf.data.Dataset.range(40).batch(8))
seen = []
for batch in strategy.experimental_distribute_dataset(dataset):
    for part in strategy.experimental_local_results(batch):
        seen += part.numpy().tolist()
print(json.dumps(seen))
"""


def test_each_example_is_seen_once_per_epoch_across_replicas():
    seen = json.loads(python(SHARDS))
    assert sorted(seen) == list(range(40))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_multi_worker_trains_and_only_the_chief_writes(tmp_path):
    ports = [free_port(), free_port()]
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    args = ["-m", "rnnzoo.cli", "train", "addition", "--smoke", "--epochs", "2",
            "--units", "8", "--strategy", "multi_worker", "--quiet",
            "--output-dir", str(tmp_path / "runs"), "--steps-per-epoch", "3"]
    workers = []
    for index in range(2):
        tf_config = json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})
        own_data = ["--data-dir", str(tmp_path / f"tfds{index}")]  # As on two machines.
        workers.append(subprocess.Popen(
            [sys.executable, *args, *own_data], env={**os.environ, "TF_CONFIG": tf_config},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        ))
    outputs = [w.communicate(timeout=600) for w in workers]
    for worker, (out, err) in zip(workers, outputs):
        assert worker.returncode == 0, err[-3000:]
    assert os.listdir(tmp_path / "runs") == ["addition"]
    metrics = json.loads((tmp_path / "runs" / "addition" / "metrics.json").read_text())
    assert metrics["epochs_done"] == 2 and "loss" in metrics["test"]


def test_mixed_precision_converges_like_float32(tmp_path):
    from rnnzoo.train.recipe import find_recipe
    from rnnzoo.train.engine import run

    final = {}
    for mixed in (False, True):
        result = run(
            find_recipe("addition"),
            {"smoke": True, "epochs": 8, "units": 32, "learning_rate": 0.01, "batch_size": 8,
             "mixed_precision": mixed, "output_dir": str(tmp_path / str(mixed)),
             "data_dir": str(tmp_path / "tfds")},
            verbose=0,
        )
        history = result.metrics["history"]["loss"]
        assert history[-1] < 0.75 * history[0], history
        final[mixed] = history[-1]
        if mixed:
            assert result.model.layers[-1].compute_dtype == "float32"  # logits
            assert keras.config.dtype_policy().name == "float32"  # restored
    assert abs(final[True] - final[False]) < 0.1 * final[False]
