"""`rnnzoo predict`: run an exported SavedModel with plain TensorFlow.

Nothing of rnnzoo's model code is imported: this is what a server does.
"""

import json
import os
import re

import numpy as np

from rnnzoo.decoding_defaults import SAMPLING_INPUTS
from rnnzoo.errors import UsageError
from rnnzoo.export.zoo import model_folder
from rnnzoo.export.zoo import versions

#: What one instance may be, for messages.
FORMATS = ('a JSON string ("123+45"), a list of numbers ([0.5, 1.0]), or an '
           'object naming the input ({"text": "..."})')


def _export_hint(model_dir):
    base, name = os.path.split(os.path.normpath(model_dir))
    hint = f"rnnzoo export RUN_DIR --name {name}"
    if os.path.normpath(base or ".") != "saved_models":
        hint += f" --base-dir {base or '.'}"
    return f"`{hint}` writes one"


def latest_version(model_dir):
    found = versions(model_dir)
    if not found:
        raise UsageError(f"{model_dir} holds no numbered version folder; "
                         f"{_export_hint(model_dir)}.")
    return found[-1]


def version_folder(model_dir, version=None):
    """The folder `model_dir/version` (default: the latest version) of an
    export folder or a zoo name, checked."""
    model_dir = model_folder(model_dir)
    if os.path.exists(os.path.join(model_dir, "saved_model.pb")):
        base, number = os.path.split(os.path.normpath(model_dir))
        raise UsageError(f"{model_dir} is a version folder: give its model folder "
                         f"{base or '.'} (with --version {number}).")
    if not os.path.isdir(model_dir):
        raise UsageError(f"{model_dir} is not a folder of exported versions; "
                         f"{_export_hint(model_dir)}.")
    if version is None:
        version = latest_version(model_dir)
    elif version not in versions(model_dir):
        found = ", ".join(map(str, versions(model_dir))) or "none"
        raise UsageError(f"{model_dir} has no version {version}; its versions: {found}.")
    return os.path.join(model_dir, str(version))


def load(model_dir, version=None, signature="serving_default"):
    """The `signature` function of `model_dir/version` (default: the
    latest version)."""
    return Predictor(model_dir, version).loaded.signatures[signature]


def read_json_lines(lines, source="stdin", each=False, start=1):
    """Instances and where each came from, from lines holding one JSON
    value each: a string, a list, or an object `{input name: value}`.
    Blank lines are skipped; the first line is number `start`. A line that
    is not one of those raises a `UsageError` naming it; with `each`, that
    error takes the line's place among the instances instead."""
    instances, places = [], []
    for number, line in enumerate(lines, start=start):
        if not line.strip():
            continue
        where = f"{source} line {number}"
        try:
            instances.append(_json_value(line, where))
        except UsageError as error:
            if not each:
                raise
            instances.append(error)
        places.append(where)
    return instances, places


def _json_value(line, where):
    try:
        value = json.loads(line)
    except json.JSONDecodeError as error:
        raise UsageError(f"{where}: not JSON ({error.msg}); each line must be "
                         f"one JSON value: {FORMATS}.") from None
    if not isinstance(value, (str, list, dict)):
        raise UsageError(f"{where}: expected {FORMATS}; received {line.strip()!r}.")
    return value


def _named(instance, names, where, defaults=None):
    """`{input name: value}` of one instance; `defaults` fill the inputs it
    does not name."""
    defaults = defaults or {}
    if isinstance(instance, dict):
        unknown = sorted(set(instance) - set(names))
        if unknown:
            raise UsageError(f"{where}: the model has no input {unknown[0]!r}; its "
                             f"inputs: {', '.join(names)}.")
        missing = [n for n in names if n not in instance and n not in defaults]
        if missing:
            raise UsageError(f"{where}: no value for the input(s) {', '.join(missing)}.")
        return {**defaults, **instance}
    required = [n for n in names if n not in defaults] or names
    if len(required) != 1:
        raise UsageError(f"{where}: the model takes the inputs {', '.join(required)}; give "
                         'an object naming each ({"' + required[0] + '": ...}).')
    return {**defaults, required[0]: instance}


def _value(value, name, spec, where):
    """One instance's value of the input `name`, checked against `spec`."""
    import tensorflow as tf

    if spec.dtype == tf.string:
        if not isinstance(value, str):
            raise UsageError(f"{where}: the input {name!r} takes a string; received "
                             f"{json.dumps(value)[:60]}.")
        return value
    if isinstance(value, str):  # A command-line argument: JSON text.
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise UsageError(f"{where}: the input {name!r} takes numbers, as a JSON list "
                             f"such as [0.5, 1.0]; received {value!r}.") from None
    rank = spec.shape.rank - 1 if spec.shape.rank is not None else None
    if spec.dtype.is_integer:
        return _integers(value, name, spec, where, rank)
    try:
        array = np.asarray(value, dtype=spec.dtype.as_numpy_dtype)
    except (TypeError, ValueError):
        raise UsageError(f"{where}: the input {name!r} takes a list of numbers (all rows "
                         f"of the same length); received {json.dumps(value)[:60]}.") from None
    _check_rank(array, name, spec, where, rank)
    return array


def _integers(value, name, spec, where, rank):
    """`value` as the integers of an integer input, refusing fractions,
    booleans and values out of the input's range."""
    dtype = spec.dtype.as_numpy_dtype
    kind = "an integer" if rank == 0 else "integers"
    try:
        given = np.asarray(value)
        ok = given.dtype.kind in "iu" or (given.dtype.kind == "f" and bool(
            np.all(np.isfinite(given) & (given == np.round(given)))))
        if ok:
            limits = np.iinfo(dtype)
            ok = given.size == 0 or bool(limits.min <= given.min() and given.max() <= limits.max)
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise UsageError(f"{where}: the input {name!r} takes {kind} ({np.dtype(dtype).name}); "
                         f"received {json.dumps(value)[:60]}.")
    array = given.astype(dtype)
    _check_rank(array, name, spec, where, rank)
    return array


def _check_rank(array, name, spec, where, rank):
    if rank is not None and array.ndim != rank:
        shape = "x".join("N" if d is None else str(d) for d in spec.shape[1:]) or "one number"
        raise UsageError(f"{where}: the input {name!r} takes an array of shape {shape} "
                         f"per instance; received shape {list(array.shape)}.")


def flag(name):
    """The `rnnzoo predict` flag of a sampling input: `top_k` -> `--top-k`."""
    return "--" + name.replace("_", "-")


class Predictor:
    """An export loaded once, answering batches of instances
    (`predict`): `serving_default`, or `sample` where sampling inputs are
    given (`sampling`, or named by an instance), the others taking the
    defaults its card's `sampling` names."""

    def __init__(self, model_dir, version=None, sampling=None):
        import tensorflow as tf

        self.model_dir = model_dir
        self.path = version_folder(model_dir, version)
        self.loaded = tf.saved_model.load(self.path)
        self.sampling = {k: v for k, v in (sampling or {}).items() if v is not None}
        if self.sampling and "sample" not in self.loaded.signatures:
            given = ", ".join(flag(name) for name in self.sampling)
            verb = "applies" if len(self.sampling) == 1 else "apply"
            raise UsageError(
                f"{given} {verb} only to exports that sample (language models and "
                "conditional generators, whose exports have a `sample` signature); "
                f"{model_dir} does not (its signatures: "
                f"{', '.join(sorted(self.loaded.signatures))}).")

    def defaults(self):
        """The card's defaults of the sampling inputs (`{}` without a card)."""
        try:
            with open(os.path.join(self.path, "assets", "rnnzoo.json")) as f:
                card = json.load(f)
        except (OSError, ValueError):
            return {}
        return dict((card.get("sampling") or {}).get("defaults") or {})

    def signature(self, instances):
        """`(signature name, defaults of inputs)` for `instances`."""
        named = {k for i in instances if isinstance(i, dict) for k in i}
        if "sample" in self.loaded.signatures and (self.sampling or named & set(SAMPLING_INPUTS)):
            return "sample", {**self.defaults(), **self.sampling}
        return "serving_default", {}

    def __call__(self, instances, places=None, each=False):
        """Rows (JSON-ready dicts) for `instances` (raw inputs, as in TF
        Serving's REST `{"instances": [...]}`: a value, or an object naming
        the inputs). `places` names where each came from, for messages
        (default: `instance N`). A mistake in any instance, or one the
        export refuses, raises a `UsageError`; with `each`, it takes that
        instance's place in the list (an instance may already be a
        `UsageError`, e.g. a line that was not JSON) and the others are
        answered."""
        import tensorflow as tf

        places = places or [f"instance {i}" for i in range(1, len(instances) + 1)]
        answers = list(instances)
        good = [i for i, x in enumerate(instances) if not isinstance(x, UsageError)]
        if not good:
            return answers
        name, defaults = self.signature([instances[i] for i in good])
        fn = self.loaded.signatures[name]
        specs = fn.structured_input_signature[1]
        names = sorted(specs)
        feeds = {}
        for i in good:
            try:
                named = _named(instances[i], names, places[i], defaults)
                feeds[i] = {n: _value(v, n, specs[n], places[i]) for n, v in named.items()}
            except UsageError as error:
                if not each:
                    raise
                answers[i] = error
        groups = {}  # Instances whose numeric inputs have the same shapes: one call.
        for i, feed in feeds.items():
            key = tuple(np.shape(feed[n]) for n in names if specs[n].dtype != tf.string)
            groups.setdefault(key, []).append(i)
        for group in groups.values():
            for i, row in zip(group, self._call(fn, specs, [feeds[i] for i in group],
                                                [places[i] for i in group], each)):
                answers[i] = row
        return answers

    def _call(self, fn, specs, feeds, places, each):
        import tensorflow as tf

        batch = {}
        for name, spec in specs.items():
            values = [feed[name] for feed in feeds]
            if spec.dtype != tf.string:
                values = np.stack(values)
            batch[name] = tf.constant(values, dtype=spec.dtype, shape=np.shape(values))
        try:
            outputs = fn(**batch)
        except tf.errors.InvalidArgumentError as error:  # The export's own check of its input.
            if each and len(feeds) > 1:  # Which of them: one call each.
                return [row for feed, where in zip(feeds, places)
                        for row in self._call(fn, specs, [feed], [where], each)]
            where = f"{places[0]}: " if each else ""
            refused = UsageError(f"{where}{self.model_dir} refused the input: "
                                 f"{refusal(error.message)}")
            if not each:
                raise refused from None
            return [refused]
        columns = {k: v.numpy().tolist() for k, v in outputs.items()}
        return [json.loads(json.dumps({k: columns[k][i] for k in sorted(columns)},
                                      default=_decode)) for i in range(len(feeds))]


def predict(model_dir, instances, version=None, places=None, sampling=None):
    """Predictions for `instances` (raw inputs, as in TF Serving's REST
    `{"instances": [...]}`: a value, or an object naming the inputs), as a
    list of JSON-ready dicts. `places` names where each instance came from,
    for error messages (default: `instance N`). `sampling`: values of the
    `sample` signature's inputs for every instance (`temperature`, `top_k`,
    `seed`, `max_new_tokens`; `None` = the export's default), for exports
    that sample."""
    predictor = Predictor(model_dir, version, sampling)
    return predictor(instances, places) if instances else []


def refusal(message):
    """The words of a SavedModel's check that failed (`tf.debugging.Assert`),
    from a TensorFlow error message, without its graph details: the check's
    data items (`assertion failed: [a] [b]`) joined by a space, the quotes
    and backslashes TensorFlow escaped in them as they were."""
    lines = [line.strip() for line in str(message).splitlines() if line.strip()]
    for line in lines:
        if "assertion failed:" in line:
            found = line.split("assertion failed:", 1)[1].strip()
            if found.startswith("[") and found.endswith("]"):
                found = " ".join(found[1:-1].split("] ["))
            return re.sub(r"\\([\\'\"])", r"\1", found)
    noise = ("Graph execution error", "Detected at node", "<stack", "[[")
    return next((line for line in lines if not line.startswith(noise)), "invalid input")


def _decode(value):
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    raise TypeError(value)
