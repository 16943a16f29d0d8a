"""`rnnzoo predict`: run an exported SavedModel with plain TensorFlow.

Nothing of rnnzoo's model code is imported: this is what a server does.
"""

import json
import os
import re

import numpy as np

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


def load(model_dir, version=None):
    """The `serving_default` function of `model_dir/version` (default: the
    latest version)."""
    import tensorflow as tf

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
    loaded = tf.saved_model.load(os.path.join(model_dir, str(version)))
    return loaded.signatures["serving_default"]


def read_json_lines(lines, source="stdin"):
    """Instances and where each came from, from lines holding one JSON
    value each: a string, a list, or an object `{input name: value}`.
    Blank lines are skipped."""
    instances, places = [], []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{source} line {number}"
        try:
            value = json.loads(line)
        except json.JSONDecodeError as error:
            raise UsageError(f"{where}: not JSON ({error.msg}); each line must be "
                             f"one JSON value: {FORMATS}.") from None
        if not isinstance(value, (str, list, dict)):
            raise UsageError(f"{where}: expected {FORMATS}; received {line.strip()!r}.")
        instances.append(value)
        places.append(where)
    return instances, places


def _named(instance, names, where):
    """`{input name: value}` of one instance."""
    if isinstance(instance, dict):
        unknown = sorted(set(instance) - set(names))
        if unknown:
            raise UsageError(f"{where}: the model has no input {unknown[0]!r}; its "
                             f"inputs: {', '.join(names)}.")
        missing = [n for n in names if n not in instance]
        if missing:
            raise UsageError(f"{where}: no value for the input(s) {', '.join(missing)}.")
        return instance
    if len(names) > 1:
        raise UsageError(f"{where}: the model takes the inputs {', '.join(names)}; give "
                         'an object naming each ({"' + names[0] + '": ...}).')
    return {names[0]: instance}


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
    try:
        array = np.asarray(value, dtype=spec.dtype.as_numpy_dtype)
    except (TypeError, ValueError):
        raise UsageError(f"{where}: the input {name!r} takes a list of numbers (all rows "
                         f"of the same length); received {json.dumps(value)[:60]}.") from None
    rank = spec.shape.rank - 1 if spec.shape.rank is not None else None
    if rank is not None and array.ndim != rank:
        shape = "x".join("N" if d is None else str(d) for d in spec.shape[1:])
        raise UsageError(f"{where}: the input {name!r} takes an array of shape {shape} "
                         f"per instance; received shape {list(array.shape)}.")
    return array


def predict(model_dir, instances, version=None, places=None):
    """Predictions for `instances` (raw inputs, as in TF Serving's REST
    `{"instances": [...]}`: a value, or an object naming the inputs), as a
    list of JSON-ready dicts. `places` names where each instance came from,
    for error messages (default: `instance N`)."""
    import tensorflow as tf

    fn = load(model_dir, version)
    specs = fn.structured_input_signature[1]
    names = sorted(specs)
    places = places or [f"instance {i}" for i in range(1, len(instances) + 1)]
    if not instances:
        return []
    columns = {name: [] for name in names}
    for instance, where in zip(instances, places):
        for name, value in _named(instance, names, where).items():
            columns[name].append(_value(value, name, specs[name], where))
    feed = {}
    for name, values in columns.items():
        if specs[name].dtype != tf.string:
            shapes = {v.shape for v in values}
            if len(shapes) > 1:
                raise UsageError(f"The instances of the input {name!r} have different "
                                 f"shapes {sorted(shapes)}: send them one call each.")
            values = np.stack(values)
        feed[name] = tf.constant(values, dtype=specs[name].dtype)
    try:
        outputs = fn(**feed)
    except tf.errors.InvalidArgumentError as error:  # The export's own check of its input.
        raise UsageError(f"{model_dir} refused the input: {refusal(error.message)}") from None
    columns = {k: v.numpy().tolist() for k, v in outputs.items()}
    rows = []
    for i in range(len(instances)):
        row = {k: v[i] for k, v in columns.items()}
        rows.append(json.loads(json.dumps(row, default=_decode)))
    return rows


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
