"""Scaling out: `tf.distribute` strategies, mixed precision, the chief.

A recipe runs unchanged under any strategy: the engine creates the model,
optimizer and metrics inside `strategy.scope()`, the batch size is the
global batch, `tf.data` input is sharded per worker, and sequence losses
average over the real tokens of the whole global batch (see
`PatternModel.compute_loss`).
"""

import json
import os

import keras

STRATEGIES = ("default", "one_device", "mirrored", "multi_worker", "tpu")


def make_strategy(name="default"):
    """The `tf.distribute` strategy called `name`.

    - `default`: TensorFlow's default (one device, no distribution).
    - `one_device`: the first GPU, else the CPU.
    - `mirrored`: every local GPU, else every logical CPU device.
    - `multi_worker`: `MultiWorkerMirroredStrategy`, configured by the
      standard `TF_CONFIG` environment variable.
    - `tpu`: `TPUStrategy` on the TPU found by `TPUClusterResolver`.
    """
    import tensorflow as tf

    if name not in STRATEGIES:
        raise ValueError(f"Setting `strategy` must be one of {STRATEGIES}; received {name!r}.")
    if keras.backend.backend() != "tensorflow" and name != "default":
        raise ValueError(
            f"Strategy {name!r} is tf.distribute: it needs KERAS_BACKEND=tensorflow."
        )
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "one_device":
        gpus = tf.config.list_logical_devices("GPU")
        return tf.distribute.OneDeviceStrategy(gpus[0].name if gpus else "/cpu:0")
    if name == "mirrored":
        devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
        return tf.distribute.MirroredStrategy([d.name for d in devices])
    if name == "multi_worker":
        if "TF_CONFIG" not in os.environ:
            raise ValueError("Strategy 'multi_worker' needs the TF_CONFIG environment variable.")
        return _multi_worker_strategy()
    resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
    tf.config.experimental_connect_to_cluster(resolver)
    tf.tpu.experimental.initialize_tpu_system(resolver)
    return tf.distribute.TPUStrategy(resolver)


def _multi_worker_strategy():
    """`MultiWorkerMirroredStrategy` whose `reduce` Keras 3 can use.

    Keras 3.15 `fit` fails under the multi-worker strategy
    (keras-team/keras#20585): it reduces a whole `(inputs, targets)` batch
    at once, which the strategy only accepts leaf by leaf, and it reduces
    scalar logs with `axis=0`. This subclass maps `reduce` over nested
    values and drops the axis of scalars.
    """
    import tensorflow as tf

    class KerasReadyStrategy(tf.distribute.MultiWorkerMirroredStrategy):
        def reduce(self, reduce_op, value, axis):
            parent = super()

            def one(v):
                rank = self.experimental_local_results(v)[0].shape.rank
                return parent.reduce(reduce_op, v, None if rank == 0 else axis)

            return tf.nest.map_structure(one, value)

    return KerasReadyStrategy()


def is_chief():
    """Whether this process writes the run's files: always, except in a
    multi-worker cluster, where only the chief (or worker 0 without a
    chief) does."""
    config = json.loads(os.environ.get("TF_CONFIG", "{}") or "{}")
    task = config.get("task", {})
    if not task:
        return True
    cluster = config.get("cluster", {})
    if task.get("type") == "chief":
        return True
    return task.get("type") == "worker" and task.get("index") == 0 and "chief" not in cluster


def shard(dataset):
    """Shards a dataset by examples (DATA) across workers: every worker
    sees a different part of each epoch, whatever files it came from."""
    import tensorflow as tf

    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options)


def trim_batches(dataset, replicas):
    """Cuts every batch to a multiple of `replicas` examples.

    Keras 3.15 under `MirroredStrategy` fails on a batch that does not
    split evenly across replicas (an `AddN` of unequal shapes), so with R
    replicas the last `size % R` examples of such a batch (the final or a
    bucket's partial batch) are skipped.
    """
    if replicas == 1:
        return dataset
    import tensorflow as tf

    def trim(inputs, targets):
        size = tf.shape(targets)[0]
        keep = size - size % replicas
        cut = lambda t: t[:keep]  # noqa: E731
        return tf.nest.map_structure(cut, inputs), cut(targets)

    return dataset.map(trim).filter(lambda inputs, targets: tf.shape(targets)[0] > 0)


def precision_policy(mixed, strategy=None):
    """`"mixed_float16"` on GPU, `"mixed_bfloat16"` on CPU and TPU, or
    `"float32"`."""
    if not mixed:
        return "float32"
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        if strategy is not None and isinstance(strategy, tf.distribute.TPUStrategy):
            return "mixed_bfloat16"
        return "mixed_float16" if tf.config.list_logical_devices("GPU") else "mixed_bfloat16"
    gpu = any(d.startswith("gpu") for d in keras.distribution.list_devices())
    return "mixed_float16" if gpu else "mixed_bfloat16"
