"""SavedModels that TF Serving loads as they are.

An export is `BASE_DIR/NAME/VERSION/`, a SavedModel with a `serving_default`
signature that takes raw input (text, or float features) and returns named
outputs, plus `assets/rnnzoo.json`. A model that samples (a language
model, a conditional generator) has a second signature, `sample`: the same
input with `temperature`, `top_k`, `seed` and `max_new_tokens`, one value
per instance and all required (a signature has no optional inputs), while
`serving_default` samples with the defaults its card's `sampling` names.
It is written into a hidden temporary folder beside the versions and
renamed into place, so a server polling `BASE_DIR/NAME` never sees a
half-written version. The graph holds no cuDNN op even when exported on a
GPU host, so it serves on CPU. Where the
run's data had a closed form (`addition`), the graph normalizes served text
as the data was and refuses text outside that form; the card names it
(`input_form`) and what the data were (`domain`).
"""

import contextlib
import json
import os
import re
import shutil
import sys

import keras

from rnnzoo import __version__
from rnnzoo.train.failpoints import failpoint
from rnnzoo.export.zoo import folder_size
from rnnzoo.export.zoo import versions
from rnnzoo.errors import UsageError

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class ExportError(UsageError):
    """An export that cannot be written as asked (a `UsageError`)."""


def check_name(name):
    """Returns `name` if it is a plain folder name, else raises."""
    if not isinstance(name, str) or not _NAME.match(name) or name in (".", ".."):
        raise ExportError(
            f"Argument `name` must be a plain folder name (letters, digits, "
            f"'.', '_', '-'; not starting with '.'). Received: name={name!r}"
        )
    return name


def _all_layers(layer):
    """`layer` and every layer inside it (models, Bidirectional wrappers)."""
    found = [layer]
    inner = list(getattr(layer, "layers", []))
    inner += [getattr(layer, a) for a in ("forward_layer", "backward_layer") if hasattr(layer, a)]
    for child in inner:
        found += _all_layers(child)
    return found


@contextlib.contextmanager
def without_cudnn(model):
    """Makes every LSTM/GRU layer trace its portable loop, not cuDNN."""
    layers = [layer for layer in _all_layers(model) if hasattr(layer, "use_cudnn")]
    saved = [layer.use_cudnn for layer in layers]
    for layer in layers:
        layer.use_cudnn = False
    try:
        yield
    finally:
        for layer, value in zip(layers, saved):
            layer.use_cudnn = value


def export_saved_model(
    model,
    name,
    base_dir="saved_models",
    version=None,
    overwrite=False,
    context=None,
    metadata=None,
):
    """Exports `model` for TF Serving as `base_dir/name/version/`.

    Args:
        model: an rnnzoo pattern model.
        name: the model's name on the server: a plain folder name.
        base_dir: the folder of exported models.
        version: positive integer; default the next free one.
        overwrite: whether an existing version may be replaced.
        context: a `rnnzoo.models.serving.ServingContext` (vectorizers, label
            names, token unit, what the data did to inputs, the form of
            input it accepts, decoding settings); default: serve ids or
            features as they are.
        metadata: extra facts for `assets/rnnzoo.json` (recipe, metrics...).

    Returns:
        The path of the version folder.
    """
    if keras.backend.backend() != "tensorflow":
        raise ExportError("Export writes TensorFlow SavedModels: use KERAS_BACKEND=tensorflow.")
    check_name(name)
    model_dir = os.path.join(base_dir, name)
    existing = versions(model_dir)
    if version is None:
        version = (existing[-1] + 1) if existing else 1
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ExportError(f"Argument `version` must be a positive integer. Received: {version!r}")
    final = os.path.join(model_dir, str(version))
    if os.path.exists(final) and not overwrite:
        raise ExportError(f"{final} exists; pass overwrite=True (--overwrite) to replace it.")
    if context is None:
        from rnnzoo.models.serving import ServingContext

        context = ServingContext()
    os.makedirs(model_dir, exist_ok=True)
    remove_abandoned(model_dir)
    tmp = os.path.join(model_dir, f".tmp-{version}-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        endpoints = _write(model, context, tmp)
        failpoint("exporting")
        metadata = {**(metadata or {}), "size_bytes": folder_size(tmp)}
        _write_assets(tmp, model, context, metadata, endpoints)
        if os.path.exists(final):
            shutil.rmtree(final)
        os.rename(tmp, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final


def remove_abandoned(model_dir):
    """Removes the temporary folders of exports whose process is gone (a
    killed export leaves its hidden `.tmp-VERSION-PID` folder behind)."""
    for name in os.listdir(model_dir):
        match = re.match(r"^\.tmp-\d+-(\d+)$", name)
        if match and not _alive(int(match.group(1))):
            shutil.rmtree(os.path.join(model_dir, name), ignore_errors=True)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _write(model, context, path):
    import tensorflow as tf

    # The model is not tracked: tracking it writes every weight twice (once
    # per Keras wrapper, once as the endpoints capture it,
    # keras-team/keras#23553). The archive saves what the endpoints capture.
    archive = keras.export.ExportArchive()
    for layer in context.vectorizers.values():
        if not layer.built:  # A lookup layer that was never called.
            layer(tf.constant(layer.get_vocabulary()[:1]))
        archive.track(layer)
    names = []
    with without_cudnn(model):
        for endpoint, fn, signature in model.serving_endpoints(context):
            archive.add_endpoint(endpoint, fn, input_signature=signature)
            names.append(endpoint)
        archive.write_out(path, verbose=False)
    return names


def sampling_card(context, endpoints):
    """The card's `sampling`: how the export's `sample` signature is called
    (its inputs, their defaults, which `serving_default` uses, and the
    limit of `max_new_tokens`), or `None` for an export that does not
    sample."""
    if "sample" not in endpoints:
        return None
    return {"signature": "sample", "defaults": context.sampling_defaults(),
            "max_new_tokens_limit": context.max_new_tokens_limit()}


def _write_assets(path, model, context, metadata, endpoints=()):
    import tensorflow as tf

    info = {
        "task": getattr(model, "task", None),
        "model_class": type(model).__name__,
        "model_config": model.get_config(),
        "label_names": context.label_names,
        "tokens": context.tokens,
        "max_input_tokens": context.max_input_tokens,
        "reverse_source": context.reverse_source,
        "input_form": context.input_form and context.input_form.get_config(),
        "domain": context.domain,
        "decode": context.decode,
        "signatures": list(endpoints),
        "sampling": sampling_card(context, endpoints),
        "versions": {
            "rnnzoo": __version__,
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
            "python": sys.version.split()[0],
        },
        **(metadata or {}),
    }
    os.makedirs(os.path.join(path, "assets"), exist_ok=True)
    with open(os.path.join(path, "assets", "rnnzoo.json"), "w") as f:
        json.dump(info, f, indent=2, sort_keys=True, default=str)


def serving_config(base_dir="saved_models"):
    """Writes `base_dir/models.config` (TF Serving's `--model_config_file`)
    listing every exported model; returns its path."""
    names = sorted(
        n for n in os.listdir(base_dir)
        if _NAME.match(n) and versions(os.path.join(base_dir, n))
    )
    entries = "".join(
        "  config {\n"
        f'    name: "{n}"\n'
        f'    base_path: "{os.path.abspath(os.path.join(base_dir, n))}"\n'
        '    model_platform: "tensorflow"\n'
        "  }\n"
        for n in names
    )
    path = os.path.join(base_dir, "models.config")
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        f.write("model_config_list {\n" + entries + "}\n")
    os.replace(tmp, path)
    return path


def default_name(config):
    """The name of a run's export when none is given: the stem of the
    user's data file it trained on (`--data my.tsv` -> `my`), else its
    recipe; characters a folder name may not hold become `_`."""
    data = (config.get("settings") or {}).get("data")
    if data:
        stem = os.path.splitext(os.path.basename(os.path.normpath(data.split(",")[0])))[0]
        stem = re.sub(r"^[^A-Za-z0-9]+", "", re.sub(r"[^A-Za-z0-9._-]", "_", stem))
        if stem:
            return stem
    return config["recipe"]


def export_run(run_dir, name=None, base_dir="saved_models", version=None, overwrite=False):
    """Exports the trained model of a run folder, with its vocabularies,
    labels, what its data did to inputs, and its card (`assets/rnnzoo.json`:
    recipe, settings, data, selection and held-out metrics), as `name`
    (default: `default_name`: the data file's stem, else the recipe)."""
    from rnnzoo.train.run_folder import RunFolder

    folder = RunFolder(run_dir)
    config, metrics = folder.config(), folder.metrics()
    if "test" not in metrics:
        raise ExportError(
            f"{folder.path} is not a finished run (no held-out metrics yet); "
            "finish it with the same `rnnzoo train` command first."
        )
    run = metrics.get("run") or {}
    card = {
        "recipe": config["recipe"],
        "command": run.get("command"),
        "trained": run.get("finished"),
        "train_seconds": run.get("train_seconds"),
        "settings": config["settings"],
        "dataset_config": config["dataset_config"],
        "data": config["data"],
        "test_metrics": metrics["test"],
        "selection": metrics.get("selection"),
        "vocabulary_size": config["model_config"].get("vocabulary_size"),
        "init_from": config.get("init_from"),
        "parameters": None,
    }
    model = folder.load_model()
    card["parameters"] = model.count_params()
    return export_saved_model(
        model,
        name or default_name(config),
        base_dir=base_dir,
        version=version,
        overwrite=overwrite,
        context=folder.serving_context(),
        metadata=card,
    )
