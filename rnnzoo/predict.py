"""`rnnzoo predict`: run an exported SavedModel with plain TensorFlow.

Nothing of rnnzoo's model code is imported: this is what a server does.
"""

import json
import os

import numpy as np


def latest_version(model_dir):
    found = sorted(int(v) for v in os.listdir(model_dir) if v.isdigit())
    if not found:
        raise FileNotFoundError(f"{model_dir} holds no numbered version folder.")
    return found[-1]


def load(model_dir, version=None):
    """The `serving_default` function of `model_dir/version`."""
    import tensorflow as tf

    if not os.path.isdir(model_dir):
        raise FileNotFoundError(f"{model_dir} is not a folder of exported versions.")
    version = latest_version(model_dir) if version is None else version
    loaded = tf.saved_model.load(os.path.join(model_dir, str(version)))
    return loaded.signatures["serving_default"]


def predict(model_dir, instances, version=None):
    """Predictions for `instances` (raw inputs, as in TF Serving's REST
    `{"instances": [...]}`), as a list of JSON-ready dicts."""
    import tensorflow as tf

    fn = load(model_dir, version)
    (name, spec), = fn.structured_input_signature[1].items()
    if spec.dtype == tf.string:
        values = tf.constant([str(i) for i in instances])
    else:
        values = tf.constant(np.asarray(instances), dtype=spec.dtype)
    outputs = fn(**{name: values})
    columns = {k: v.numpy().tolist() for k, v in outputs.items()}
    rows = []
    for i in range(len(instances)):
        row = {k: v[i] for k, v in columns.items()}
        rows.append(json.loads(json.dumps(row, default=_decode)))
    return rows


def _decode(value):
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    raise TypeError(value)
