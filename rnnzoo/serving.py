"""Serving functions: raw input in, named outputs out, for each pattern.

`endpoints(model, context)` returns the `(name, function, input
signature)` of every endpoint of an export; the first is `serving_default`.
Text goes through the data's own vectorizers inside the graph, and comes
back as text. The functions are TensorFlow graphs: export is TensorFlow.
"""

import dataclasses

import keras
import tensorflow as tf

from rnnzoo import models


@dataclasses.dataclass
class ServingContext:
    """What an export needs besides the model.

    Attributes:
        vectorizers: the data's preprocessing layers (`"tokens"`, `"source"`,
            `"target"`...); without them the model serves token ids or
            features as they are.
        label_names: the names of the classes (or tags), index = id.
        tokens: `"char"` or `"word"`: how text is joined back.
        max_length: inputs are cut to this many tokens.
        decode: `method`, `beam_width`, `length_penalty`, `max_length`,
            `temperature`, `seed` of generation.
    """

    vectorizers: dict = dataclasses.field(default_factory=dict)
    label_names: list | None = None
    tokens: str = "char"
    max_length: int = 500
    decode: dict = dataclasses.field(default_factory=dict)

    def setting(self, name, default):
        value = self.decode.get(name)
        return default if value is None else value


TEXT = tf.TensorSpec((None,), tf.string, name="text")


def clean(text):
    """Any bytes to valid UTF-8 (invalid sequences become U+FFFD)."""
    return tf.strings.unicode_transcode(
        text, "UTF-8", "UTF-8", errors="replace", replacement_char=0xFFFD
    )


def text_to_ids(vectorizer, text, max_length):
    """Token ids `(batch, <= max_length + 1)`, int32, always one column of
    padding at the end (so an empty string is a valid, fully masked row)."""
    text = clean(text)
    if isinstance(vectorizer, keras.layers.StringLookup):
        ids = vectorizer(tf.strings.split(text).to_tensor(""))
    else:
        ids = vectorizer(text)
    ids = tf.cast(ids, tf.int32)[:, :max_length]
    return tf.pad(ids, [[0, 0], [0, 1]])


def ids_to_text(ids, vocabulary, separator, end_id=None):
    """Token ids to strings, stopping at `end_id`, skipping padding."""
    keep = ids > 0
    if end_id is not None:
        keep = tf.logical_and(keep, tf.cumsum(tf.cast(ids == end_id, tf.int32), axis=1) == 0)
    words = tf.gather(tf.constant(vocabulary), tf.maximum(ids, 0))
    return tf.strings.reduce_join(
        tf.ragged.boolean_mask(words, keep), axis=1, separator=separator
    )


def vocabulary(layer):
    return [t.decode() if isinstance(t, bytes) else str(t) for t in layer.get_vocabulary()]


def _separator(context):
    return " " if context.tokens == "word" else ""


def classifier_endpoints(model, context):
    config = model.get_config()
    regression = config["num_classes"] is None
    if "tokens" in context.vectorizers:
        signature = [TEXT]

        def inputs(text):
            return text_to_ids(context.vectorizers["tokens"], text, context.max_length)
    else:
        signature = [tf.TensorSpec((None, None, config["input_dim"]), tf.float32, name="features")]

        def inputs(features):
            return features

    def serve(x):
        outputs = model(inputs(x), training=False)
        if regression:
            return {"predictions": outputs}
        probabilities = tf.nn.softmax(outputs)
        class_ids = tf.argmax(outputs, axis=-1, output_type=tf.int32)
        result = {"probabilities": probabilities, "class_ids": class_ids}
        if context.label_names:
            result["labels"] = tf.gather(tf.constant(context.label_names), class_ids)
        return result

    def logits(x):
        return {"logits": model(inputs(x), training=False)}

    return [("serving_default", serve, signature), ("logits", logits, signature)]


def tagger_endpoints(model, context):
    vectorizer = context.vectorizers["tokens"]

    def serve(text):
        ids = text_to_ids(vectorizer, text, context.max_length)
        tag_ids = tf.argmax(model(ids, training=False), axis=-1, output_type=tf.int32)
        tag_ids = tf.where(ids > 0, tag_ids, 0)[:, :-1]
        result = {"tag_ids": tag_ids}
        if context.label_names:
            tags = tf.gather(tf.constant(context.label_names), tag_ids)
            result["tags"] = tf.where(ids[:, :-1] > 0, tags, "")
        return result

    return [("serving_default", serve, [TEXT])]


def language_model_endpoints(model, context):
    """Text in, the text that follows out (the prompt not repeated)."""
    vectorizer = context.vectorizers["tokens"]
    words = vocabulary(vectorizer)
    length = context.setting("max_length", 200)

    def serve(text):
        prompt = text_to_ids(vectorizer, text, context.max_length)
        tokens = model.sample_tokens(
            prompt, max_length=length,
            temperature=context.setting("temperature", 0.0),
            seed=context.setting("seed", 0),
        )
        return {"text": ids_to_text(tokens, words, _separator(context)), "tokens": tokens}

    return [("serving_default", serve, [TEXT])]


def seq2seq_endpoints(model, context):
    config = model.get_config()
    source, target = context.vectorizers["source"], context.vectorizers["target"]
    words = vocabulary(target)

    def serve(text):
        ids = text_to_ids(source, text, context.max_length)
        tokens, scores, _ = model.decode(
            ids,
            context.setting("max_length", 100),
            method=context.setting("method", "greedy"),
            beam_width=context.setting("beam_width", 4),
            length_penalty=context.setting("length_penalty", 0.0),
        )
        translation = ids_to_text(tokens, words, _separator(context), config["end_id"])
        return {"translation": translation, "tokens": tokens, "scores": scores}

    return [("serving_default", serve, [TEXT])]


def generator_endpoints(model, context):
    config = model.get_config()
    words = vocabulary(context.vectorizers["tokens"])
    if context.label_names:
        signature = [tf.TensorSpec((None,), tf.string, name="condition")]
        table = tf.constant(context.label_names)

        def condition_ids(condition):
            # Unknown labels fall back to class 0.
            match = tf.cast(condition[:, None] == table[None, :], tf.int32)
            return tf.argmax(match, axis=-1, output_type=tf.int32)
    else:
        signature = [tf.TensorSpec((None,), tf.int32, name="condition")]

        def condition_ids(condition):
            return tf.clip_by_value(condition, 0, config["num_conditions"] - 1)

    def serve(condition):
        tokens = model.sample_tokens(
            condition_ids(condition),
            max_length=context.setting("max_length", 100),
            temperature=context.setting("temperature", 0.0),
            seed=context.setting("seed", 0),
        )
        text = ids_to_text(tokens, words, _separator(context), config["end_id"])
        return {"text": text, "tokens": tokens}

    return [("serving_default", serve, signature)]


def forecast_endpoints(model, context):
    steps = context.setting("max_length", 1)

    def serve(values):
        return {"forecast": model.forecast_values(values, steps)}

    signature = [tf.TensorSpec((None, None, model.get_config()["output_dim"]), tf.float32, name="values")]
    return [("serving_default", serve, signature)]


def raw_endpoints(model):
    """Without vectorizers: the model's own inputs (ids or features) in,
    its outputs out."""
    signature = [
        tf.TensorSpec(t.shape, t.dtype, name=t.name) for t in model.inputs
    ]
    names = [t.name for t in model.inputs]

    sizes = {n: model.get_layer(f"{n}_embedding").input_dim for n in names
             if any(layer.name == f"{n}_embedding" for layer in model.layers)}

    def safe(name, value):
        # Ids outside the vocabulary become the out-of-vocabulary id 1.
        if name not in sizes:
            return value
        inside = tf.logical_and(value >= 0, value < sizes[name])
        return tf.where(inside, value, tf.ones_like(value))

    def serve(*args):
        args = [safe(n, a) for n, a in zip(names, args)]
        inputs = dict(zip(names, args)) if len(args) > 1 else args[0]
        return {"outputs": model(inputs, training=False)}

    return [("serving_default", serve, signature)]


NEEDED = {
    models.Seq2Seq: ("source", "target"),
    models.SequenceGenerator: ("tokens",),
}


def endpoints(model, context):
    """The serving endpoints of `model`, `serving_default` first."""
    config = model.get_config()
    needed = NEEDED.get(type(model), ("tokens",) if config.get("vocabulary_size") else ())
    if isinstance(model, models.OutputFeedbackRNN) and config["num_classes"]:
        needed = ("tokens",)
    if any(k not in context.vectorizers for k in needed):
        return raw_endpoints(model)
    if isinstance(model, models.SequenceClassifier):
        return classifier_endpoints(model, context)
    if isinstance(model, models.Seq2Seq):
        return seq2seq_endpoints(model, context)
    if isinstance(model, models.SequenceGenerator):
        return generator_endpoints(model, context)
    if isinstance(model, models.OutputFeedbackRNN):
        if config["output_dim"] is not None:
            return forecast_endpoints(model, context)
        return language_model_endpoints(model, context)
    if isinstance(model, models.SequenceTagger):
        if config["vocabulary_size"] == config["num_tags"] and not config["bidirectional"]:
            return language_model_endpoints(model, context)
        return tagger_endpoints(model, context)
    raise ValueError(f"No serving functions for {type(model).__name__}.")
