"""The `sample` signature of an export that samples text.

A language model or a conditional generator samples with settings:
`temperature`, `top_k`, `seed` and `max_new_tokens`. Its export answers
`serving_default` with the settings it was exported with (its card's
`sampling.defaults`), and `sample` with the settings of each request: the
same input and the four settings, one value per instance, all required,
since a SavedModel signature has no optional inputs and TF Serving sends
what a signature names. Bad settings fail the batch in the graph with an
`InvalidArgumentError` naming the input and what it must be.
"""

import tensorflow as tf

from rnnzoo.decoding_defaults import SAMPLING_INPUTS
from rnnzoo.models import serving

#: The sampling inputs of a `sample` signature: one value per instance.
SAMPLING_SPECS = [
    tf.TensorSpec((None,), tf.float32, name="temperature"),
    tf.TensorSpec((None,), tf.int32, name="top_k"),
    tf.TensorSpec((None,), tf.int32, name="seed"),
    tf.TensorSpec((None,), tf.int32, name="max_new_tokens"),
]
assert tuple(spec.name for spec in SAMPLING_SPECS) == SAMPLING_INPUTS


def sampling_rules(limit):
    """`{input: (what it must be, in words)}` of the sampling inputs."""
    return {"temperature": "a finite number >= 0 (0: greedy decoding)",
            "top_k": "an integer >= 0 (0: every token)",
            "max_new_tokens": f"an integer from 1 to {limit}"}


def _checked(values, inside, argument, rule):
    """`values`, failing the batch where `inside` is false with the message
    `Input `argument` must be RULE; received: -1 (1 of 2 inputs)`."""
    refused = tf.boolean_mask(values, tf.logical_not(inside))
    shown = (tf.strings.as_string(refused, shortest=True) if values.dtype.is_floating
             else tf.strings.as_string(refused))
    message = tf.strings.join([f"Input `{argument}` must be {rule}; received: ",
                               serving.listed(shown, tf.size(values), quote="")])
    check = tf.debugging.Assert(tf.reduce_all(inside), [message])
    with tf.control_dependencies([check]):
        return tf.identity(values)


def checked_sampling(data, argument, temperature, top_k, seed, max_new_tokens, limit):
    """The arguments of a model's `sample_tokens` from a `sample` request's
    inputs (one value per instance of `data`, the input named `argument`),
    checked in the graph: a bad value fails the batch with an
    `InvalidArgumentError` that names the input and the accepted values."""
    given = [temperature, top_k, seed, max_new_tokens]
    sizes = tf.stack([tf.size(data)] + [tf.size(value) for value in given])
    names = ", ".join(f"`{name}`" for name in (argument, *SAMPLING_INPUTS))
    same = tf.debugging.Assert(
        tf.reduce_all(sizes == sizes[0]),
        [f"Inputs {names} must have one value per instance; received",
         tf.strings.reduce_join(tf.strings.as_string(sizes), separator=", "), "values"])
    rules = sampling_rules(limit)
    with tf.control_dependencies([same]):
        temperature = _checked(temperature, tf.logical_and(
            tf.math.is_finite(temperature), temperature >= 0), "temperature",
            rules["temperature"])
        top_k = _checked(top_k, top_k >= 0, "top_k", rules["top_k"])
        max_new_tokens = _checked(max_new_tokens, tf.logical_and(
            max_new_tokens >= 1, max_new_tokens <= limit), "max_new_tokens",
            rules["max_new_tokens"])
        seed = tf.identity(seed)
    return {"max_length": max_new_tokens, "temperature": temperature, "top_k": top_k,
            "seed": seed}


def sampling_endpoints(context, spec, generate):
    """`serving_default` and `sample` of a model that samples text.

    `sample` takes the input `spec` (a prompt's `text`, a `condition`...)
    and `temperature`, `top_k`, `seed` and `max_new_tokens`, one value per
    instance, checked (`checked_sampling`); an instance's answer depends on
    its own inputs alone, not on the batch it is served in.
    `serving_default` takes `spec` alone and samples with the export's
    defaults (`context.sampling_defaults()`): TF Serving's clients send the
    inputs they know. Both run one graph.

    Args:
        context: the `ServingContext`.
        spec: the `tf.TensorSpec` of the input the model samples from.
        generate: `generate(data, max_length=, temperature=, top_k=,
            seed=)`: the outputs (`text`, `tokens`) of a batch.
    """
    limit = context.max_new_tokens_limit()

    def sample(data, temperature, top_k, seed, max_new_tokens):
        return generate(data, **checked_sampling(
            data, spec.name, temperature, top_k, seed, max_new_tokens, limit))

    sample = tf.function(sample, input_signature=[spec, *SAMPLING_SPECS])
    defaults = context.sampling_defaults()

    def serve(data):
        rows = tf.shape(data)[:1]
        return sample(data, *[tf.fill(rows, tf.constant(defaults[s.name], s.dtype))
                              for s in SAMPLING_SPECS])

    return [("serving_default", serve, [spec]), ("sample", sample, [spec, *SAMPLING_SPECS])]
