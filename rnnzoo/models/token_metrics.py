"""Metrics averaged over every real token of a pass.

Keras's masked metrics average each sequence's token mean over the
sequences (and weight batches by their size), so a long sentence counts
as much as a short one. These count tokens: `total / count` over all the
tokens whose `sample_weight` is 1 (the model passes its sequence mask
there), which is what a served model's `score` endpoint reports and what
perplexity means. Under `tf.distribute`, `replica_token_share` gives the
weight that makes a sequence loss average over the global batch's tokens.
"""

import keras
from keras import ops


class TokenMean(keras.metrics.Metric):
    """The mean of a per-token value over the weighted tokens of a pass.

    Compile it as one of `weighted_metrics` (Keras gives `sample_weight` to
    those only); the pattern models do.
    """

    def __init__(self, name, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), "zeros", dtype=self.dtype, name="total")
        self.count = self.add_variable((), "zeros", dtype=self.dtype, name="count")

    def token_values(self, y_true, y_pred):
        raise NotImplementedError

    def update_state(self, y_true, y_pred, sample_weight=None):
        values = ops.cast(self.token_values(ops.cast(y_true, "int32"), y_pred), self.dtype)
        weight = (ops.ones_like(values) if sample_weight is None
                  else ops.cast(ops.reshape(sample_weight, ops.shape(values)), self.dtype))
        self.total.assign_add(ops.sum(values * weight))
        self.count.assign_add(ops.sum(weight))

    def reset_state(self):
        self.total.assign(0.0)
        self.count.assign(0.0)

    def result(self):
        return ops.divide_no_nan(self.total, self.count)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


@keras.saving.register_keras_serializable(package="rnnzoo")
class TokenAccuracy(TokenMean):
    """The fraction of tokens whose likeliest class is the target."""

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def token_values(self, y_true, y_pred):
        return ops.cast(ops.equal(ops.cast(ops.argmax(y_pred, axis=-1), "int32"), y_true),
                       self.dtype)


@keras.saving.register_keras_serializable(package="rnnzoo")
class TokenCrossEntropy(TokenMean):
    """Cross-entropy from logits in nats per token."""

    def __init__(self, name="cross_entropy", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def token_values(self, y_true, y_pred):
        return keras.losses.sparse_categorical_crossentropy(
            y_true, ops.cast(y_pred, "float32"), from_logits=True)


def replica_token_share(mask):
    """`local real tokens / global real tokens` of this replica's batch and
    the number of replicas, inside a `tf.distribute` replica context; `None`
    outside one (or with one replica)."""
    if keras.backend.backend() != "tensorflow":
        return None
    import tensorflow as tf

    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return None
    local = tf.reduce_sum(tf.cast(mask, tf.float32))
    total = context.all_reduce(tf.distribute.ReduceOp.SUM, local)
    return tf.math.divide_no_nan(local, total), context.num_replicas_in_sync
