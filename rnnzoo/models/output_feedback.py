"""Output-to-hidden recurrence (Jordan network) with teacher forcing."""

import keras
from keras import ops

from rnnzoo.checks import check_positive_int
from rnnzoo.layers.jordan import JordanCell
from rnnzoo.models import decoding
from rnnzoo.models.backbone import PatternModel
from rnnzoo.models.backbone import check_common
from rnnzoo.models.backbone import check_task
from rnnzoo.models.backbone import input_named
from rnnzoo.models.backbone import sequence_input


def shift(x, steps):
    """`x` delayed by `steps` along time (axis 1), zero-filled."""
    if steps == 0:
        return x
    pad = ops.zeros_like(x[:, :steps])
    return ops.concatenate([pad, x[:, :-steps]], axis=1)


@keras.saving.register_keras_serializable(package="rnnzoo")
class OutputFeedback(keras.layers.Layer):
    """A `JordanCell` whose fed-back outputs are given: all steps at once.

    `call(previous, external=None)` takes the previous outputs `y_{t-1}`
    for every step (`(batch, steps)` ids when `categorical`, else `(batch,
    steps, output_units)` values) and returns `y_t` for every step. With
    `feedback_window=k > 1`, `y_{t-2} ... y_{t-k}` are fed too, through the
    cell's input kernel. Categorical outputs feed back as one-hot vectors,
    so `y W` is a row lookup; id 0 (padding, or "before the start") feeds
    back zeros. `step` computes one step the same way, for free running.
    """

    def __init__(
        self,
        units,
        output_units,
        categorical=True,
        feedback_window=1,
        num_layers=1,
        dropout=0.0,
        activation="tanh",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.units = units
        self.output_units = output_units
        self.categorical = categorical
        self.feedback_window = check_positive_int(feedback_window, "feedback_window")
        self.num_layers = num_layers
        self.dropout = dropout
        self.activation = activation
        self.cell = JordanCell(
            units, output_units=output_units, activation=activation, name="cell"
        )
        self.hidden_layers = [
            keras.layers.Dense(units, activation=activation, name=f"hidden_{i}")
            for i in range(2, num_layers + 1)
        ]
        self.dropout_layer = keras.layers.Dropout(dropout)
        self.supports_masking = True

    def build(self, previous_shape, external_shape=None):
        self.external_dim = 0 if external_shape is None else external_shape[-1]
        taps = (self.feedback_window - 1) * self.output_units
        self.cell.build((None, self.external_dim + taps))
        if self.external_dim + taps == 0:  # No x_t: the kernel is empty.
            self.cell.kernel.trainable = False
        for layer in self.hidden_layers:
            layer.build((None, self.units))

    def _feed(self, y, weights):
        if self.categorical:
            rows = ops.take(weights, y, axis=0)
            return ops.where(ops.expand_dims(y != 0, -1), rows, 0.0)
        return ops.matmul(y, weights)

    def _outputs(self, previous, taps, external, training):
        """`y_t` from `y_{t-1}`, the older taps and the external input."""
        cell = self.cell
        z = self._feed(previous, cell.recurrent_kernel)
        kernel = cell.kernel
        if external is not None:
            z = z + ops.matmul(external, kernel[: self.external_dim])
        for j, tap in enumerate(taps):
            start = self.external_dim + j * self.output_units
            z = z + self._feed(tap, kernel[start : start + self.output_units])
        if cell.bias is not None:
            z = ops.add(z, cell.bias)
        h = cell.activation(z)
        for layer in self.hidden_layers:
            h = layer(h)
        return cell.readout(self.dropout_layer(h, training=training))

    def call(self, previous, external=None, training=False):
        taps = [shift(previous, j) for j in range(1, self.feedback_window)]
        return self._outputs(previous, taps, external, training)

    def step(self, previous, taps, external=None):
        """One free-running step; `taps` lists `y_{t-2} ... y_{t-k}`."""
        return self._outputs(previous, taps, external, training=False)

    def compute_mask(self, previous, external=None, mask=None):
        if self.categorical:
            return ops.not_equal(previous, 0)
        return None

    def compute_output_shape(self, previous_shape, external_shape=None):
        if self.categorical:
            return tuple(previous_shape) + (self.output_units,)
        return tuple(previous_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "output_units": self.output_units,
            "categorical": self.categorical,
            "feedback_window": self.feedback_window,
            "num_layers": self.num_layers,
            "dropout": self.dropout,
            "activation": self.activation,
        }


@keras.saving.register_keras_serializable(package="rnnzoo")
class OutputFeedbackRNN(PatternModel):
    """Output-to-hidden recurrence, trained with teacher forcing.

    A Jordan network (Goodfellow fig. 10.4): the hidden layer sees the
    input and the previous *output*,

        h_t = tanh(x_t W_x + y_{t-1} W_y + b),   o_t = h_t W_o + b_o,

    and no hidden-to-hidden connection. Training feeds the previous
    *target* where the previous output would go (teacher forcing, fig.
    10.6): the hidden states of all steps then depend on known values only,
    so the training pass runs in parallel over time, as matrix products
    over whole sequences with no sequential loop. That is the point of the
    pattern, and its limit: all the model carries from the past is what
    the output says. Inference runs free: `generate` (categorical outputs)
    and `forecast` (real-valued outputs) feed the model's own outputs back.

    Inputs: `"previous_targets"`, the targets delayed by one step (ids
    `(batch, steps)`, 0 is padding and masked, or values `(batch, steps,
    output_dim)`), and optionally `"token_ids"` or `"features"`, an
    external input per step. For a language model the previous targets are
    the input tokens themselves. `feedback_window=k` also feeds back
    `y_{t-2} ... y_{t-k}` (a tapped delay line).

    `compile()` with no arguments: Adam with `clipnorm=1.0`; sparse
    categorical cross-entropy from logits over non-padding steps and
    accuracy, or mean squared error and mean absolute error.

    Args:
        cell: `"jordan"`, the only cell with output-to-hidden recurrence.
        units: Positive integer, size of the hidden layer.
        num_classes: Number of output classes (categorical outputs).
        output_dim: Number of real-valued outputs.
        feedback_window: Positive integer, how many past outputs feed back.
        num_layers: Positive integer, number of hidden layers per step.
        dropout: Float in [0, 1), dropout before the output layer.
        vocabulary_size, embedding_dim: Optional external token input.
        input_dim: Optional external real-valued input.
        task: `"language_model"` (default with `num_classes`; the previous
            targets are the input tokens) or `"forecasting"` (default with
            `output_dim`).
        **kwargs: `name`, `trainable`.

    Serving (`serving_endpoints`): a language model serves as
    `SequenceTagger`'s (text in, the `text` that follows out; `sample`;
    `score`); a
    forecaster takes `values` and returns the next `forecast_steps` values
    (`forecast`).

    Example:

    >>> model = rnnzoo.models.OutputFeedbackRNN(units=32, num_classes=50,
    ...     feedback_window=4)
    >>> model.predict(np.array([[3, 9, 2, 0]]), verbose=0).shape
    (1, 4, 50)

    Reference:
        - [Jordan, 1986](https://doi.org/10.1016/S0166-4115(97)80111-2)
        - [Goodfellow et al., Deep Learning, 10.2.1](
          https://www.deeplearningbook.org/contents/rnn.html)
    """

    TASKS = ("language_model", "forecasting")

    def __init__(
        self,
        cell="jordan",
        units=128,
        num_classes=None,
        output_dim=None,
        feedback_window=1,
        num_layers=1,
        dropout=0.0,
        vocabulary_size=None,
        embedding_dim=None,
        input_dim=None,
        task=None,
        **kwargs,
    ):
        check_common(cell, units, num_layers, dropout)
        task = check_task(task, self.TASKS,
                          "language_model" if num_classes is not None else "forecasting")
        if cell != "jordan":
            raise ValueError(
                "Argument `cell` must be 'jordan': output-to-hidden "
                "recurrence is the Jordan cell's. For hidden-to-hidden "
                f"recurrence use SequenceTagger. Received: cell={cell!r}"
            )
        if (num_classes is None) == (output_dim is None):
            raise ValueError(
                "Pass exactly one of `num_classes` (categorical outputs) and "
                "`output_dim` (real-valued outputs). Received: "
                f"num_classes={num_classes}, output_dim={output_dim}"
            )
        categorical = num_classes is not None
        size = check_positive_int(
            num_classes if categorical else output_dim,
            "num_classes" if categorical else "output_dim",
        )
        if categorical:
            previous = keras.Input((None,), dtype="int32", name="previous_targets")
        else:
            previous = keras.Input((None, size), name="previous_targets")
        inputs, external = [previous], None
        if vocabulary_size is not None or input_dim is not None:
            name = "token_ids" if vocabulary_size is not None else "features"
            external_input, external = sequence_input(
                vocabulary_size, embedding_dim, input_dim, units, name
            )
            inputs.append(external_input)
        layer = OutputFeedback(
            units,
            size,
            categorical=categorical,
            feedback_window=feedback_window,
            num_layers=num_layers,
            dropout=dropout,
            name="output_feedback",
        )
        outputs = layer(previous, external)
        inputs = inputs[0] if len(inputs) == 1 else inputs
        super().__init__(inputs, outputs, **kwargs)
        self._constructor_config = {
            "name": self.name,
            "trainable": self.trainable,
            "cell": cell,
            "units": units,
            "num_classes": num_classes,
            "output_dim": output_dim,
            "feedback_window": feedback_window,
            "num_layers": num_layers,
            "dropout": dropout,
            "vocabulary_size": vocabulary_size,
            "embedding_dim": embedding_dim,
            "input_dim": input_dim,
            "task": task,
        }

    @classmethod
    def data_arguments(cls, task_data):
        if task_data.task == "language_model":
            return {"num_classes": task_data.vocabulary_size, "task": "language_model"}
        return {"output_dim": task_data.train.element_spec[1].shape[-1], "task": task_data.task}

    def data_inputs(self, inputs):
        """The previous targets are the data's inputs (a language model's
        tokens, a series' values)."""
        return inputs["token_ids"] if "token_ids" in inputs else inputs["features"]

    def serving_endpoints(self, context):
        import tensorflow as tf

        from rnnzoo.models import serving
        from rnnzoo.models.sequence_tagger import language_model_endpoints

        if self.task == "language_model":
            if not context.has("tokens"):
                return serving.raw_endpoints(self)
            return language_model_endpoints(self, context)
        steps = context.setting("forecast_steps")
        mean, std = (0.0, 1.0) if context.mean is None else (context.mean, context.std)

        def serve(values):  # In the series' units, normalized as in training.
            forecast = self.forecast_values((values - mean) / std, steps)
            return {"forecast": forecast * std + mean}

        dim = self.get_config()["output_dim"]
        return [("serving_default", serve,
                 [tf.TensorSpec((None, None, dim), tf.float32, name="values")])]

    def sequence_mask(self, x):
        if self._constructor_config["num_classes"] is None:
            return None
        return ops.not_equal(input_named(x, "previous_targets"), 0)

    def _external(self, inputs):
        """External inputs, embedded, or `None`."""
        config = self._constructor_config
        if inputs is None:
            if config["vocabulary_size"] or config["input_dim"]:
                raise ValueError(
                    "This model has an external input: pass `inputs` for "
                    "every step to generate."
                )
            return None
        if config["vocabulary_size"]:
            return self.get_layer("token_ids_embedding")(
                ops.convert_to_tensor(inputs, "int32")
            )
        return ops.convert_to_tensor(inputs, self.compute_dtype)

    def _window(self, prompt, categorical):
        """The state after a prompt: its last `feedback_window` outputs,
        newest first, zeros before the start. Categorical prompts may be
        right-padded with 0."""
        k = self._constructor_config["feedback_window"]
        batch, steps = ops.shape(prompt)[0], ops.shape(prompt)[1]
        if categorical:
            lengths = ops.sum(ops.cast(prompt != 0, "int32"), axis=1)
        else:
            lengths = ops.full((batch,), steps, "int32")
        padded = ops.concatenate([ops.zeros_like(prompt[:, :1])] * k + [prompt], 1)
        window = []
        for j in range(1, k + 1):
            index = ops.reshape(lengths + k - j, (-1,) + (1,) * (len(prompt.shape) - 1))
            window.append(ops.take_along_axis(padded, index, axis=1)[:, 0])
        return window

    def sample_tokens(self, prompt, max_length=100, temperature=1.0, top_k=None,
                      seed=0, end_id=None, inputs=None):
        """Traceable `generate`: returns the new ids as a tensor."""
        if self._constructor_config["num_classes"] is None:
            raise ValueError("`generate` is for categorical outputs; use `forecast`.")
        layer = self.get_layer("output_feedback")
        external = self._external(inputs)
        window = self._window(ops.convert_to_tensor(prompt, "int32"), True)

        def step(tokens, state):
            taps, t = state
            x_t = None if external is None else ops.take(external, t, axis=1)
            logits = layer.step(tokens, list(taps), x_t)
            taps = [tokens] + list(taps[:-1]) if taps else []
            return logits, (taps, t + 1), None

        tokens, _, _ = decoding.sample(
            step, (window[1:], 0), window[0], max_length, end_id,
            temperature, top_k, seed,
        )
        return tokens

    def generate(self, prompt, max_length=100, temperature=1.0, top_k=None,
                 seed=0, end_id=None, inputs=None):
        """Free-running generation for categorical outputs.

        Each new token is fed back as the next step's previous output.
        `prompt` is an int array `(batch, length)` of outputs so far,
        right-padded with 0; `inputs` gives the external input for the
        `max_length` new steps when the model has one. Returns the new ids
        `(batch, max_length)` as NumPy (greedy with `temperature=0`). `seed`
        may be one per row, as in `SequenceTagger.generate`.
        """
        prompt = ops.convert_to_tensor(prompt, "int32")
        seed = ops.convert_to_tensor(seed, "int32")
        return ops.convert_to_numpy(
            decoding.traced(self, "sample_tokens")(
                prompt, max_length, temperature, top_k, seed, end_id, inputs
            )
        )

    def forecast(self, prompt, steps, inputs=None):
        """Free-running forecast for real-valued outputs.

        `prompt` is `(batch, length >= 1, output_dim)`, the values so far;
        returns the next `steps` values `(batch, steps, output_dim)` as
        NumPy, each fed back to predict the next.
        """
        return ops.convert_to_numpy(self.forecast_values(prompt, steps, inputs))

    def forecast_values(self, prompt, steps, inputs=None):
        """Traceable `forecast`: returns the values as a tensor."""
        if self._constructor_config["output_dim"] is None:
            raise ValueError("`forecast` is for real-valued outputs; use `generate`.")
        layer = self.get_layer("output_feedback")
        external = self._external(inputs)
        prompt = ops.convert_to_tensor(prompt, self.compute_dtype)
        window = self._window(prompt, False)
        outputs = []
        for t in range(steps):
            x_t = None if external is None else external[:, t]
            y = layer.step(window[0], window[1:], x_t)
            outputs.append(y)
            window = [y] + window[:-1]
        return ops.stack(outputs, axis=1)
