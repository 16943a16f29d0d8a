"""What serving functions share: raw text to ids and back, in the graph.

Each pattern model builds its own endpoints (`model.serving_endpoints(
context)`) from these pieces; a `ServingContext` carries what the data did
to the inputs before the model saw them (vocabularies, reversal,
normalization), the form of input its data had (`InputForm`: what it
accepts, and refuses) and the decoding settings, so a served model answers
the input as its user writes it. The functions are TensorFlow graphs:
export is TensorFlow.
"""

import dataclasses

import keras
import tensorflow as tf

from rnnzoo.data.vectorize import SPECIAL_TOKENS
from rnnzoo.data.vectorize import token_separator
from rnnzoo.data.vectorize import vocabulary
from rnnzoo.decoding_defaults import DECODE_DEFAULTS
from rnnzoo.decoding_defaults import MAX_NEW_TOKENS_LIMIT

#: The longest input a served model reads, in tokens, unless the run set
#: `max_input_tokens`.
MAX_SERVED_TOKENS = 500


#: What an input form may do to a text before it is checked, by name: a
#: regular expression (RE2), its replacement, and what the user is told is
#: ignored (with its verb).
NORMALIZATIONS = {
    "remove_whitespace": (r"[\s\p{Z}]+", "", "whitespace", "is"),
    "strip_leading_zeros": (r"(^|[^0-9])0+([0-9])", r"\1\2", "leading zeros", "are"),
}
#: A refusal shows at most this many of the refused texts, each cut to
#: `SHOWN_CHARACTERS` characters.
SHOWN_TEXTS = 5
SHOWN_CHARACTERS = 40


def decode_defaults():
    """The decoding settings' defaults (`DECODE_DEFAULTS`)."""
    return dict(DECODE_DEFAULTS)


@dataclasses.dataclass(frozen=True)
class InputForm:
    """The text a served model accepts: the form its training data had.

    A served text is normalized as the training data was (`normalize`),
    then, where the data had a closed form, must match `pattern` in full;
    a batch holding a text outside it fails with an `InvalidArgumentError`
    (`tf.debugging.Assert`, so TF Serving refuses it too) whose message
    names the input, the accepted form and the refused texts:

    `Input `text` must be one to three digits, '+', one to three digits
    (e.g. 123+45; whitespace and leading zeros are ignored); received:
    'abc'`.

    Args:
        normalize: names of `NORMALIZATIONS`, applied in this order.
        pattern: the accepted form of the normalized text, a regular
            expression in RE2 syntax (`tf.strings.regex_full_match`), or
            `None`: any text is accepted (normalized).
        description: the accepted form in words, for the message.
        example: a text of that form, for the message.

    Example:

    >>> form = InputForm(normalize=["remove_whitespace"], pattern=r"[0-9]+",
    ...                  description="digits", example="42")
    >>> form.apply(tf.constant([" 4 2 "])).numpy()
    array([b'42'], dtype=object)
    """

    normalize: tuple = ()
    pattern: str | None = None
    description: str | None = None
    example: str | None = None

    def __post_init__(self):
        object.__setattr__(self, "normalize", tuple(self.normalize))
        unknown = [name for name in self.normalize if name not in NORMALIZATIONS]
        if unknown:
            raise ValueError(f"Unknown normalization(s) {', '.join(map(repr, unknown))} of an "
                             f"input form; known: {', '.join(NORMALIZATIONS)}.")
        if self.pattern is not None and not self.description:
            raise ValueError("An input form with a `pattern` needs its `description`, "
                             "for the message of a refusal.")

    @classmethod
    def from_config(cls, config):
        """The form of a card's `input_form` (`None` stays `None`)."""
        if config is None or isinstance(config, cls):
            return config
        unknown = sorted(set(config) - {f.name for f in dataclasses.fields(cls)})
        if unknown:
            raise ValueError(f"Unknown key(s) {', '.join(unknown)} in an input form; known: "
                             "normalize, pattern, description, example.")
        return cls(**config)

    def get_config(self):
        """JSON-ready, as a card holds it."""
        return {"normalize": list(self.normalize), "pattern": self.pattern,
                "description": self.description, "example": self.example}

    def rule(self, argument="text"):
        """The accepted form in words: `Input `text` must be ...`."""
        ignored = [NORMALIZATIONS[name][2:] for name in self.normalize]
        notes = [f"e.g. {self.example}"] if self.example else []
        if ignored:
            verb = ignored[0][1] if len(ignored) == 1 else "are"
            notes.append(f"{' and '.join(noun for noun, _ in ignored)} {verb} ignored")
        notes = f" ({'; '.join(notes)})" if notes else ""
        return f"Input `{argument}` must be {self.description}{notes}"

    def apply(self, text):
        """`text` normalized as the training data was."""
        for name in self.normalize:
            pattern, rewrite, *_ = NORMALIZATIONS[name]
            text = tf.strings.regex_replace(text, pattern, rewrite)
        return text

    def check(self, text, argument="text"):
        """`(normalized text, whether each is inside the form, the message
        refusing those that are not)` of a batch of (valid UTF-8) strings."""
        normalized = self.apply(text)
        if self.pattern is None:
            inside = tf.ones_like(normalized, tf.bool)
        else:
            inside = tf.strings.regex_full_match(normalized, self.pattern)
        refused = tf.boolean_mask(text, tf.logical_not(inside))
        message = tf.strings.join([f"{self.rule(argument)}; received: ",
                                   listed(refused, tf.size(text))])
        return normalized, inside, message

    def accept(self, text, argument="text"):
        """The normalized `text`, in the graph; a text outside the form
        fails the batch with an `InvalidArgumentError` (see `check`)."""
        if self.pattern is None:
            return self.apply(text)
        normalized, inside, message = self.check(text, argument)
        check = tf.debugging.Assert(tf.reduce_all(inside), [message])
        with tf.control_dependencies([check]):
            return tf.identity(normalized)


def listed(texts, total, quote="'"):
    """`'a', 'b' (2 of 7 inputs)`: the first `SHOWN_TEXTS` of `texts`, each
    cut to `SHOWN_CHARACTERS` (and quoted with `quote`), and how many of the
    `total` they are."""
    shown = texts[:SHOWN_TEXTS]
    cut = tf.strings.length(shown, unit="UTF8_CHAR") > SHOWN_CHARACTERS
    shown = tf.strings.join([
        quote, tf.strings.substr(shown, 0, SHOWN_CHARACTERS, unit="UTF8_CHAR"),
        tf.where(cut, "...", ""), quote])
    count = tf.size(texts)
    more = tf.where(count > SHOWN_TEXTS, ", ...", "")
    of = tf.where(total > 1, tf.strings.format(" ({} of {} inputs)", (count, total)), "")
    return tf.strings.join([tf.strings.reduce_join(shown, separator=", "), more, of])


@dataclasses.dataclass
class ServingContext:
    """What an export (or `rnnzoo generate`) needs besides the model.

    Attributes:
        vectorizers: the data's preprocessing layers (`"tokens"`, `"source"`,
            `"target"`, `"labels"`...); without them a model serves the ids
            or features it computes on.
        label_names: the names of the classes (or tags), index = id.
        tokens: `"char"` or `"word"`: how text is split and joined back.
        max_input_tokens: inputs are cut to this many tokens.
        reverse_source: whether the model reads its text input reversed
            (`addition`): the user's text is reversed in the graph.
        mean, std: forecasting: the model works on `(x - mean) / std`.
        input_form: the `InputForm` of the user's text (or its config, a
            card's `input_form`): normalized, and checked where the data
            had a closed form; `None`: any text, as it is.
        domain: what the data were, in words, for the card (`None`:
            unknown).
        decode: decoding settings named as in the settings table
            (`decode_method`, `beam_width`, `length_penalty`,
            `max_new_tokens`, `temperature`, `seed`, `forecast_steps`) and
            `top_k`; what is missing takes the table's default.
    """

    vectorizers: dict = dataclasses.field(default_factory=dict)
    label_names: list | None = None
    tokens: str = "char"
    max_input_tokens: int = MAX_SERVED_TOKENS
    reverse_source: bool = False
    mean: float | None = None
    std: float | None = None
    input_form: InputForm | None = None
    domain: str | None = None
    decode: dict = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        self.input_form = InputForm.from_config(self.input_form)
        # Read eagerly: not inside a traced function.
        self.vocabularies = {name: vocabulary(layer) for name, layer in self.vectorizers.items()}

    def setting(self, name):
        value = self.decode.get(name)
        return decode_defaults().get(name) if value is None else value

    def sampling(self):
        """The arguments of a model's `sample_tokens` from the settings."""
        return {"max_length": self.setting("max_new_tokens"),
                **{name: self.setting(name) for name in ("temperature", "top_k", "seed")}}

    def sampling_defaults(self):
        """The values a `sample` request's inputs default to (`serving_default`
        samples with them): `{temperature, top_k (0: all), seed,
        max_new_tokens}`, as a card records them."""
        return {"temperature": float(self.setting("temperature")),
                "top_k": int(self.setting("top_k") or 0),
                "seed": int(self.setting("seed")),
                "max_new_tokens": int(self.setting("max_new_tokens"))}

    def max_new_tokens_limit(self):
        """The most new tokens a `sample` request may ask for."""
        return max(MAX_NEW_TOKENS_LIMIT, self.sampling_defaults()["max_new_tokens"])

    @property
    def separator(self):
        return token_separator(self.tokens)

    def has(self, *names):
        return all(name in self.vectorizers for name in names)

    def ids(self, name, text, reverse=False, argument=None):
        """Ids of `text` through the vectorizer `name` (see `text_to_ids`).
        `argument`: the served input `text` is, when it is the user's text:
        then the input form applies to it (a target's text is left as it
        is)."""
        return text_to_ids(self.vectorizers[name], text, self.max_input_tokens,
                           reverse=reverse, tokens=self.tokens,
                           form=self.input_form if argument else None,
                           argument=argument)

    def refusal(self, text, argument="text"):
        """Eagerly, outside a graph: the message refusing the strings of
        `text` outside the input form, or `None` when it accepts them all."""
        if self.input_form is None or self.input_form.pattern is None:
            return None
        _, inside, message = self.input_form.check(clean(text), argument)
        return None if bool(tf.reduce_all(inside)) else message.numpy().decode("utf-8")

    def text(self, name, ids, end_id=None):
        """Text of generated `ids` over the vocabulary of `name`."""
        return ids_to_text(ids, self.vocabularies[name], self.separator, end_id)


TEXT = tf.TensorSpec((None,), tf.string, name="text")
def clean(text):
    """Any bytes to valid UTF-8 (invalid sequences become U+FFFD)."""
    return tf.strings.unicode_transcode(
        text, "UTF-8", "UTF-8", errors="replace", replacement_char=0xFFFD
    )


def reverse_text(text, tokens="char"):
    """Each string with its characters (or words) in reverse order."""
    if tokens == "word":
        pieces = tf.strings.split(text)
    else:
        pieces = tf.strings.unicode_split(text, "UTF-8")
    return tf.strings.reduce_join(
        tf.reverse(pieces, [1]), axis=1, separator=token_separator(tokens)
    )


def text_to_ids(vectorizer, text, max_tokens, reverse=False, tokens="char",
                form=None, argument="text"):
    """Token ids `(batch, <= max_tokens + 1)`, int32, always one column of
    padding at the end (so an empty string is a valid, fully masked row).
    With an `InputForm`, the text is normalized and checked first (a
    refusal names it as the input `argument`)."""
    text = clean(text)
    if form is not None:
        text = form.accept(text, argument)
    if reverse:
        text = reverse_text(text, tokens)
    if isinstance(vectorizer, keras.layers.StringLookup):
        ids = vectorizer(tf.strings.split(text).to_tensor(""))
    else:
        ids = vectorizer(text)
    ids = tf.cast(ids, tf.int32)[:, :max_tokens]
    return tf.pad(ids, [[0, 0], [0, 1]])


def ids_to_text(ids, words, separator, end_id=None):
    """Generated ids to strings: up to `end_id`, without special tokens."""
    keep = tf.logical_not(tf.gather(tf.constant([w in SPECIAL_TOKENS for w in words]),
                                    tf.clip_by_value(ids, 0, len(words) - 1)))
    keep = tf.logical_and(keep, ids < len(words))
    if end_id is not None:
        keep = tf.logical_and(keep, tf.cumsum(tf.cast(ids == end_id, tf.int32), axis=1) == 0)
    pieces = tf.gather(tf.constant(words), tf.clip_by_value(ids, 0, len(words) - 1))
    return tf.strings.reduce_join(
        tf.ragged.boolean_mask(pieces, keep), axis=1, separator=separator
    )


def label_ids(names, labels, argument):
    """Ids of label strings; an unknown label is an error naming it."""
    table = tf.constant(names)
    match = tf.equal(labels[:, None], table[None, :])
    known = tf.reduce_any(match, axis=1)
    check = tf.debugging.Assert(
        tf.reduce_all(known),
        [f"Input `{argument}` must be one of: {', '.join(names)}. Unknown:",
         tf.boolean_mask(labels, tf.logical_not(known))],
    )
    with tf.control_dependencies([check]):
        return tf.argmax(tf.cast(match, tf.int32), axis=-1, output_type=tf.int32)


def scores(logits, targets):
    """Teacher-forced scores of `targets (batch, steps)` (0 = padding):
    `log_likelihood` (nats, summed over the tokens), `token_count` and
    `correct` (tokens that are the argmax) per example."""
    mask = tf.cast(targets > 0, tf.float32)
    log_probs = tf.nn.log_softmax(tf.cast(logits, tf.float32))
    picked = tf.gather(log_probs, targets, axis=-1, batch_dims=2)
    hits = tf.cast(tf.argmax(log_probs, axis=-1, output_type=tf.int32) == targets, tf.float32)
    return {
        "log_likelihood": tf.reduce_sum(picked * mask, axis=1),
        "token_count": tf.reduce_sum(tf.cast(targets > 0, tf.int32), axis=1),
        "correct": tf.reduce_sum(tf.cast(hits * mask, tf.int32), axis=1),
    }


def teacher_forcing(ids, start_id, end_id, max_tokens):
    """Decoder inputs and targets of token `ids` (0-padded, with the one
    padding column `text_to_ids` leaves): `start + ids` and `ids + end`,
    at most `max_tokens` long, as the data made them in training."""
    ids = ids[:, :-1][:, : max_tokens - 1]
    start = tf.fill([tf.shape(ids)[0], 1], start_id)
    lengths = tf.reduce_sum(tf.cast(ids > 0, tf.int32), axis=1)
    padded = tf.pad(ids, [[0, 0], [0, 1]])
    ends = tf.one_hot(lengths, tf.shape(padded)[1], dtype=tf.int32) * end_id
    return tf.concat([start, ids], axis=1), padded + ends


def next_token_scores(model_fn, ids):
    """`scores` of a language model over `ids` (0-padded at the end): every
    token after the first is predicted from those before it."""
    targets = tf.concat([ids[:, 1:], tf.zeros_like(ids[:, :1])], axis=1)
    return scores(model_fn(ids), targets)


def raw_endpoints(model):
    """Without vectorizers: the model's own inputs (ids or features) in,
    its outputs out. Ids outside a vocabulary become the out-of-vocabulary
    id 1."""
    signature = [tf.TensorSpec(t.shape, t.dtype, name=t.name) for t in model.inputs]
    names = [t.name for t in model.inputs]
    sizes = {n: model.get_layer(f"{n}_embedding").input_dim for n in names
             if any(layer.name == f"{n}_embedding" for layer in model.layers)}

    def safe(name, value):
        if name not in sizes:
            return value
        inside = tf.logical_and(value >= 0, value < sizes[name])
        return tf.where(inside, value, tf.ones_like(value))

    def serve(*args):
        args = [safe(n, a) for n, a in zip(names, args)]
        inputs = dict(zip(names, args)) if len(args) > 1 else args[0]
        return {"outputs": model(inputs, training=False)}

    return [("serving_default", serve, signature)]
