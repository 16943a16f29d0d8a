"""Shipped models as Keras models: `load_pretrained(name)`.

A zoo model is one SavedModel, `saved_models/<name>/<version>/`: its card
(`assets/rnnzoo.json`) names the pattern class and its config, its
variables hold the trained weights and its lookup tables the
vocabularies. `load_pretrained` rebuilds the Keras model from the card,
copies every weight from the export's variable of the same name (no second
copy of the weights is shipped), and attaches a `Preprocessor` built from
the same vocabularies and settings as the export's serving graph.
"""

import json
import os
import re

import keras
import tensorflow as tf

from rnnzoo.models import serving
from rnnzoo.export import zoo
from rnnzoo.checks import suggest
from rnnzoo.data import vectorize
from rnnzoo.errors import UsageError

CARD = os.path.join("assets", "rnnzoo.json")
#: The tasks whose models read text, and the vectorizers their exports use.
TEXT_TASKS = ("classification", "tagging", "language_model", "seq2seq",
              "conditional_generation")


def load_pretrained(name_or_path, base=None):
    """Loads a shipped model as a Keras model, with its `preprocessor`.

    Args:
        name_or_path: a zoo name (`"addition"`, see `rnnzoo zoo`), or the
            folder of an rnnzoo export: `BASE/NAME` (its newest version)
            or `BASE/NAME/VERSION`.
        base: the zoo's folder (default: `saved_models/` of this checkout,
            as `rnnzoo zoo` uses).

    Returns:
        The pattern model named by the card, rebuilt from its config, with
        the export's trained weights, compiled with its pattern's defaults;
        `model.preprocessor` turns raw inputs into its inputs (see
        `Preprocessor`).

    Raises:
        UsageError: an unknown name, a folder that is not an rnnzoo export,
            an export whose variables do not match the model's weights, or
            a backend other than TensorFlow.

    Example:

    >>> model = rnnzoo.load_pretrained("addition")
    >>> tokens, _ = model.generate(model.preprocessor(["123+45"]), max_length=6)
    >>> model.preprocessor.detokenize(tokens)
    ['168']
    """
    if keras.backend.backend() != "tensorflow":
        raise UsageError("A pretrained model loads from its TensorFlow SavedModel: "
                         "use KERAS_BACKEND=tensorflow.")
    path = export_folder(name_or_path, base)
    with open(os.path.join(path, CARD)) as f:
        card = json.load(f)
    import rnnzoo.models  # noqa: F401 (registers the pattern classes)

    cls = keras.saving.get_registered_object(f"rnnzoo>{card.get('model_class')}")
    if cls is None or not hasattr(cls, "serving_endpoints"):
        raise UsageError(f"{path}: its card names the model class "
                         f"{card.get('model_class')!r}, which is not an rnnzoo pattern model.")
    model = cls.from_config(card["model_config"])
    loaded = tf.saved_model.load(path)
    objects = tf.train.TrackableView(loaded).descendants()
    restore_weights(model, [o for o in objects if isinstance(o, tf.Variable)], path)
    tables = [o for o in objects if isinstance(o, tf.saved_model.experimental.TrackableResource)]
    vocabularies = table_vocabularies(tables)
    model.preprocessor = Preprocessor(model, serving_context(model, card, vocabularies))
    model.compile()
    return model


def export_folder(name_or_path, base=None):
    """The version folder of a zoo name or of an export's path."""
    base = base or zoo.default_base()
    if not isinstance(name_or_path, (str, os.PathLike)):
        raise UsageError("Argument `name_or_path` must be a zoo name or a folder. "
                         f"Received: name_or_path={name_or_path!r}")
    given = os.fspath(name_or_path)
    named = os.path.join(base, given)
    if "/" not in given and os.sep not in given and zoo.versions(named):
        path = named
    elif os.path.exists(given):
        path = given
    elif not os.path.isdir(base):
        raise UsageError(f"Unknown pretrained model {given!r}: neither a folder nor a model "
                         f"of the zoo. {zoo.missing_zoo()}")
    else:
        names = [card["name"] for card in zoo.shipped(base)]
        raise UsageError(
            f"Unknown pretrained model {given!r}.{suggest(given, names)} The zoo "
            f"({base}) holds: {', '.join(names) or 'no model'}; or give the folder "
            "of an export (BASE/NAME or BASE/NAME/VERSION).")
    if not os.path.isfile(os.path.join(path, "saved_model.pb")):
        found = zoo.versions(path)
        if not found:
            raise UsageError(
                f"{path} is not an rnnzoo export: it holds neither saved_model.pb "
                "nor numbered version folders (`rnnzoo export RUN_DIR` writes one).")
        path = os.path.join(path, str(found[-1]))
    if not os.path.isfile(os.path.join(path, CARD)):
        raise UsageError(f"{path} is a SavedModel without an rnnzoo card ({CARD}): only "
                         "rnnzoo exports can be rebuilt as Keras models.")
    return path


def unnumbered(path):
    """`path` without the counters Keras appends to automatic layer names
    (`attention_cell_5/cell/kernel` -> `attention_cell/cell/kernel`)."""
    return re.sub(r"_\d+(?=/|$)", "", path)


def pair_weights(weights, saved):
    """`{weight path: saved name}` for `weights`, each matched to a name of
    `saved` (a dict or set of names): the same path, else the only unused
    name equal to it without automatic-name counters (a model built after
    others in one process numbers its unnamed layers)."""
    pairs = {w.path: w.path for w in weights if w.path in saved}
    unused = [name for name in saved if name not in pairs.values()]
    for weight in weights:
        if weight.path not in pairs:
            found = [n for n in unused if unnumbered(n) == unnumbered(weight.path)]
            if len(found) == 1:
                pairs[weight.path] = found[0]
                unused.remove(found[0])
    return pairs


def restore_weights(model, variables, path="the export"):
    """Assigns to each of `model.weights` the variable of `variables` whose
    name is the weight's path (TensorFlow names a Keras variable by its
    path; see `pair_weights`); every weight and every variable must be
    matched exactly once, with the same shape."""
    saved = {}
    for variable in variables:
        saved.setdefault(re.sub(r":\d+$", "", variable.name), []).append(variable)
    pairs = pair_weights(model.weights, saved)
    problems = []
    for weight in model.weights:
        found = saved.get(pairs.get(weight.path), [])
        if len(found) != 1:
            problems.append(f"{weight.path} ({'no' if not found else len(found)} "
                            "saved variables of that name)")
        elif tuple(found[0].shape) != tuple(weight.shape):
            problems.append(f"{weight.path} (shape {tuple(weight.shape)}, saved "
                            f"{tuple(found[0].shape)})")
    extra = sorted(set(saved) - set(pairs.values()))
    problems += [f"{name} (saved, no such weight)" for name in extra]
    if problems:
        raise UsageError(f"{path} does not hold the weights of the {type(model).__name__} "
                         f"its card describes; unmatched: {'; '.join(problems)}.")
    for weight in model.weights:
        weight.assign(saved[pairs[weight.path]][0])


def table_vocabularies(tables):
    """The token vocabularies (lists of `str`, index = id) in the lookup
    tables of a loaded export: those mapping strings to ids 2, 3, ...
    (0 is padding and 1 out-of-vocabulary, outside the table)."""
    found = []
    for table in tables:
        try:
            keys, values = tf.raw_ops.LookupTableExportV2(
                table_handle=table.resource_handle, Tkeys=tf.string, Tvalues=tf.int64)
        except (tf.errors.InvalidArgumentError, tf.errors.UnimplementedError):
            continue  # Not a string-to-id table.
        order = tf.argsort(values)
        values = tf.gather(values, order).numpy().tolist()
        if values != list(range(2, len(values) + 2)):
            continue  # A label lookup (ids from 0): the card has the names.
        words = [k.decode("utf-8") for k in tf.gather(keys, order).numpy()]
        found.append(["", "[UNK]", *words])
    return found


def _vocabulary_sizes(model):
    """`{vectorizer name: vocabulary size}` the model's export uses."""
    config = model.get_config()
    if model.task not in TEXT_TASKS:
        return {}
    if model.task == "seq2seq":
        return {"target": config["target_vocabulary_size"],
                "source": config["source_vocabulary_size"]}
    size = config.get("vocabulary_size")
    if model.task == "language_model":  # An output feedback model's are its classes.
        size = config.get("num_classes") or size
    return {} if size is None else {"tokens": size}


def _pick(vocabularies, size, role):
    """The vocabulary of `size` for `role`; a decoder's (`target`, or
    `tokens` of a generator) holds `[START]` and `[END]` at ids 2 and 3."""
    fits = [v for v in vocabularies if len(v) == size]
    decoder = [v for v in fits if tuple(v[2:4]) == vectorize.DECODER_TOKENS]
    fits = (decoder if role == "target" else [v for v in fits if v not in decoder]) or fits
    return fits[0] if fits else None


def serving_context(model, card, vocabularies):
    """The `ServingContext` the export was written with, rebuilt from its
    card and the vocabularies of its tables."""
    tokens = card.get("tokens") or "char"
    standardize = ((card.get("dataset_config") or {}).get("standardize")
                   or vectorize.WORD_STANDARDIZE.get(model.task))
    vectorizers, used = {}, []
    for role, size in (_vocabulary_sizes(model) if vocabularies else {}).items():
        words = _pick([v for v in vocabularies if v not in used], size, role)
        if words is None:
            raise UsageError(f"The export holds no vocabulary of {size} tokens for the "
                             f"model's {role!r} input.")
        used.append(words)
        if model.task == "tagging":
            vectorizers[role] = keras.layers.StringLookup(mask_token="", vocabulary=words)
        else:
            vectorizers[role] = vectorize.fixed_text_vectorizer(
                words, tokens=tokens, standardize=standardize, name=role)
    data = card.get("data") or {}
    return serving.ServingContext(
        vectorizers={k: vectorizers[k] for k in sorted(vectorizers)},
        label_names=card.get("label_names"),
        tokens=tokens,
        max_input_tokens=card.get("max_input_tokens") or serving.MAX_SERVED_TOKENS,
        reverse_source=bool(card.get("reverse_source")),
        mean=data.get("mean"),
        std=data.get("std"),
        input_form=card.get("input_form"),
        domain=card.get("domain"),
        decode=card.get("decode") or {},
    )


def _strings(values, argument):
    if isinstance(values, str):
        values = [values]
    values = list(values)
    if not all(isinstance(v, (str, bytes)) for v in values):
        raise UsageError(f"Argument `{argument}` must be a list of strings. "
                         f"Received: {argument}={values!r}")
    return tf.constant(values, tf.string, shape=(len(values),))


class Preprocessor:
    """Raw inputs to a pretrained model's inputs, as its export reads them.

    Built by `load_pretrained` from the export's vocabularies and settings
    (token unit, standardization, input cut, source reversal, labels, input
    form), with the text pieces of `rnnzoo.models.serving`, so the ids are
    those the SavedModel computes in its graph; a text the export refuses
    (outside its card's `input_form`) is a `UsageError` in the same words.

    - `preprocessor(inputs)`: the ids the model reads raw `inputs` as: the
      input of a classifier, tagger or language model (text); the source
      ids of a `Seq2Seq` (source text) and the condition ids of a
      `SequenceGenerator` (label names), which `generate` takes.
    - `preprocessor.batch(inputs, targets=None)`: `(x, y)` for `model(x)`
      and `model.fit(x, y)`, teacher-forced as in training: `targets` are
      a classifier's labels, a translation's target texts, a generator's
      texts; a language model's targets are its text, one token ahead.
    - `preprocessor.detokenize(ids)`: generated ids to text (up to the end
      token, without special tokens).

    Args:
        model: the pattern model.
        context: the `rnnzoo.models.serving.ServingContext` of its export.
    """

    def __init__(self, model, context):
        self.context = context
        self.task = model.task
        self.config = model.get_config()
        self._data_inputs = model.data_inputs
        self._reads_ids = bool(_vocabulary_sizes(model))

    def __call__(self, inputs):
        c = self.context
        if self.task == "conditional_generation":
            return self.label_ids(inputs)
        if not self._reads_ids:  # Real-valued features.
            values = tf.constant(inputs, tf.float32)
            return values if c.mean is None else (values - c.mean) / c.std
        if not c.vectorizers:
            raise UsageError("This export carries no vocabulary: give the model token ids.")
        text = _strings(inputs, "inputs")
        refused = c.refusal(text, "inputs")
        if refused:
            raise UsageError(refused)
        if self.task == "seq2seq":
            return c.ids("source", text, reverse=c.reverse_source, argument="inputs")
        return c.ids("tokens", text, argument="inputs")

    def label_ids(self, labels):
        """Ids of labels (a classifier's classes, a generator's conditions):
        their names, or ids as integers."""
        count = self.config.get("num_conditions") or self.config.get("num_classes")
        names = self.context.label_names or [str(i) for i in range(count)]
        labels = [labels] if isinstance(labels, (str, int)) else list(labels)
        unknown = [x for x in labels if x not in names and x not in range(len(names))]
        if unknown:
            raise UsageError(f"Unknown label(s) {unknown!r}: the model's labels are "
                             f"{', '.join(names)}.")
        return tf.constant([names.index(x) if isinstance(x, str) else int(x)
                            for x in labels], tf.int32, shape=(len(labels),))

    def batch(self, inputs, targets=None):
        """`(x, y)` of raw `inputs` and `targets`, as the data made them."""
        c, config = self.context, self.config
        needs_targets = self.task != "language_model"
        if (targets is None) == needs_targets:
            raise UsageError(f"A {self.task} model's batch takes "
                             + ("`targets` too." if needs_targets else "no `targets`: "
                                "the text is its own target."))
        if self.task == "language_model":
            ids = self(inputs)
            y = ids[:, 1:]
            return self._data_inputs({"token_ids": tf.where(y > 0, ids[:, :-1], 0)}), y
        if self.task == "classification":
            key = "token_ids" if self._reads_ids else "features"
            return self._data_inputs({key: self(inputs)}), self.label_ids(targets)
        if self.task in ("seq2seq", "conditional_generation"):
            name = "target" if self.task == "seq2seq" else "tokens"
            decoder_in, y = serving.teacher_forcing(
                c.ids(name, _strings(targets, "targets")), config["start_id"],
                config["end_id"], c.max_input_tokens)
            first = "source_ids" if self.task == "seq2seq" else "condition"
            return self._data_inputs({first: self(inputs), "target_ids": decoder_in}), y
        raise UsageError(f"`batch` is not available for a {self.task} model: "
                         "make `(x, y)` as its data does.")

    def detokenize(self, ids):
        """Generated ids `(batch, steps)` to a list of strings."""
        name = "target" if self.task == "seq2seq" else "tokens"
        if name not in self.context.vectorizers:
            raise UsageError(f"A {self.task} model has no token vocabulary.")
        ids = tf.convert_to_tensor(ids, tf.int32)
        text = self.context.text(name, ids, self.config.get("end_id"))
        return [t.decode("utf-8") for t in text.numpy()]
