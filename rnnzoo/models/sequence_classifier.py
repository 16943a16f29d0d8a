"""Read the whole sequence, single output (many-to-one)."""

import keras

from rnnzoo.checks import check_choice
from rnnzoo.checks import check_positive_int
from rnnzoo.layers.pooling import SequencePooling
from rnnzoo.models.backbone import PatternModel
from rnnzoo.models.backbone import check_common
from rnnzoo.models.backbone import check_task
from rnnzoo.models.backbone import check_chrono
from rnnzoo.models.backbone import recurrent_stack
from rnnzoo.models.backbone import sequence_input
from rnnzoo.models.backbone import sequence_input_arguments

POOLINGS = ("last", "mean", "max", "attention")


@keras.saving.register_keras_serializable(package="rnnzoo")
class SequenceClassifier(PatternModel):
    """Reads a whole sequence, then gives one output (Goodfellow fig. 10.5).

    Reads token ids (`vocabulary_size`; input `"token_ids"`, id 0 is padding
    and masked) or real-valued features (`input_dim`; input `"features"`),
    and summarizes the top recurrent layer's outputs by `pooling`: the last
    real step (default), the mean or max over real steps, or learned
    attention weights. Returns `num_classes` logits (classification) or
    `output_dim` values (regression).

    `compile()` with no arguments: Adam with `clipnorm=1.0`, then sparse
    categorical cross-entropy from logits and accuracy, or mean squared
    error and mean absolute error.

    Args:
        cell: `"elman"`, `"jordan"`, `"lstm"` or `"gru"`.
        units: Positive integer, size of each recurrent layer.
        num_classes: Number of classes, for classification.
        output_dim: Number of outputs, for regression.
        num_layers: Positive integer, number of stacked recurrent layers.
        dropout: Float in [0, 1): input dropout of each recurrent layer and
            dropout before the output.
        pooling: `"last"`, `"mean"`, `"max"` or `"attention"`.
        bidirectional: Whether every recurrent layer reads both ways.
        vocabulary_size: Size of the token vocabulary, for token inputs.
        embedding_dim: Size of the token embeddings (default `units`).
        input_dim: Number of features per step, for real-valued inputs.
        chrono_max_steps: Optional int, chrono initialization of the gate
            biases of LSTM and GRU layers for dependencies up to this many
            steps (see `rnnzoo.layers.LSTMCell`).
        task: `"classification"` (default with `num_classes`),
            `"regression"` (default with `output_dim`) or `"forecasting"`
            (regression on windows of a normalized series).
        **kwargs: `name`, `trainable`.

    Serving (`serving_endpoints`): text in, `probabilities`, `class_ids`
    and `labels` out (and a `logits` endpoint); or `features` (forecasting:
    raw `values`) in, `predictions` out.

    Example:

    >>> model = rnnzoo.models.SequenceClassifier(
    ...     cell="gru", units=32, num_classes=2, vocabulary_size=100,
    ...     bidirectional=True)
    >>> model.predict(np.array([[5, 6, 7, 0, 0]]), verbose=0).shape
    (1, 2)
    """

    TASKS = ("classification", "regression", "forecasting")

    def __init__(
        self,
        cell="lstm",
        units=128,
        num_classes=None,
        output_dim=None,
        num_layers=1,
        dropout=0.0,
        pooling="last",
        bidirectional=False,
        vocabulary_size=None,
        embedding_dim=None,
        input_dim=None,
        chrono_max_steps=None,
        task=None,
        **kwargs,
    ):
        check_common(cell, units, num_layers, dropout)
        check_choice(pooling, POOLINGS, "pooling")
        if (num_classes is None) == (output_dim is None):
            raise ValueError(
                "Pass exactly one of `num_classes` (classification) and "
                "`output_dim` (regression). Received: "
                f"num_classes={num_classes}, output_dim={output_dim}"
            )
        task = check_task(task, self.TASKS,
                          "classification" if num_classes is not None else "regression")
        if (task == "classification") != (num_classes is not None):
            raise ValueError(
                "Argument `task='classification'` goes with `num_classes`, "
                f"regression with `output_dim`. Received: task={task!r}"
            )
        size = check_positive_int(
            num_classes or output_dim,
            "num_classes" if num_classes is not None else "output_dim",
        )
        input_name = "token_ids" if vocabulary_size is not None else "features"
        inputs, x = sequence_input(
            vocabulary_size, embedding_dim, input_dim, units, input_name
        )
        x, _ = recurrent_stack(
            x,
            cell,
            units,
            num_layers,
            dropout,
            bool(bidirectional),
            return_sequences=pooling != "last",
            chrono_max_steps=check_chrono(chrono_max_steps, cell),
        )
        if pooling != "last":
            x = SequencePooling(pooling, name="pooling")(x)
        if dropout:
            x = keras.layers.Dropout(dropout, name="output_dropout")(x)
        name = "logits" if num_classes is not None else "predictions"
        outputs = keras.layers.Dense(size, name=name, dtype="float32")(x)
        super().__init__(inputs, outputs, **kwargs)
        self._constructor_config = {
            "name": self.name,
            "trainable": self.trainable,
            "cell": cell,
            "units": units,
            "num_classes": num_classes,
            "output_dim": output_dim,
            "num_layers": num_layers,
            "dropout": dropout,
            "pooling": pooling,
            "bidirectional": bool(bidirectional),
            "vocabulary_size": vocabulary_size,
            "embedding_dim": embedding_dim,
            "input_dim": input_dim,
            "chrono_max_steps": chrono_max_steps,
            "task": task,
        }

    @classmethod
    def data_arguments(cls, task_data):
        d = task_data
        arguments = sequence_input_arguments(d)
        if d.task == "classification":
            return {**arguments, "num_classes": d.num_classes, "task": d.task}
        return {**arguments, "output_dim": d.train.element_spec[1].shape[-1], "task": d.task}

    def serving_endpoints(self, context):
        import tensorflow as tf

        from rnnzoo.models import serving

        if self.task != "classification":
            return _regression_endpoints(self, context)
        if not context.has("tokens"):
            return serving.raw_endpoints(self)

        def logits(text):
            return self(context.ids("tokens", text, argument="text"), training=False)

        def serve(text):
            outputs = logits(text)
            class_ids = tf.argmax(outputs, axis=-1, output_type=tf.int32)
            result = {"probabilities": tf.nn.softmax(outputs), "class_ids": class_ids}
            if context.label_names:
                result["labels"] = tf.gather(tf.constant(context.label_names), class_ids)
            return result

        return [("serving_default", serve, [serving.TEXT]),
                ("logits", lambda text: {"logits": logits(text)}, [serving.TEXT])]


def _regression_endpoints(model, context):
    """Features in, predictions out; a forecaster takes and gives the
    series' own units (normalized in the graph as in training)."""
    import tensorflow as tf

    dim = model.get_config()["input_dim"]
    if dim is None:
        from rnnzoo.models import serving

        return serving.raw_endpoints(model)
    if model.task == "forecasting" and context.mean is not None:
        mean, std = float(context.mean), float(context.std)

        def forecast(values):
            predictions = model((values - mean) / std, training=False)
            return {"predictions": predictions * std + mean}

        return [("serving_default", forecast,
                 [tf.TensorSpec((None, None, dim), tf.float32, name="values")])]

    def predict(features):
        return {"predictions": model(features, training=False)}

    return [("serving_default", predict,
             [tf.TensorSpec((None, None, dim), tf.float32, name="features")])]
