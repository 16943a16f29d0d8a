"""Starting a run from a trained model: `rnnzoo train RECIPE --init-from X`.

`X` is a zoo name (`rnnzoo zoo`), an export's folder, or a run folder. The
run keeps the trained model's architecture and its vocabulary (the new
data's tokens it lacks become the out-of-vocabulary id, counted in the
log), and starts from its weights. A classifier given other labels keeps
the trained encoder and starts a new output layer, as timm's
`create_model(..., num_classes=N)` does. Without `--data`, a model trained
on a built-in dataset continues on it (another `--length`, say: the
curriculum of `long_range`).
"""

import dataclasses
import os

import numpy as np

from rnnzoo.errors import UsageError

#: Settings that decide the architecture: given with `--init-from`, they
#: must equal the trained model's.
ARCHITECTURE = ("cell", "units", "num_layers")
#: The name of the output layer of a classifier (`SequenceClassifier`).
HEAD = "logits/"


@dataclasses.dataclass
class Start:
    """A trained model a run starts from.

    Attributes:
        given: what the user named (`--init-from`).
        path: the run folder or the export's version folder.
        kind: `"run folder"` or `"export"`.
        model: the trained Keras model.
        vectorizers: its data's text vectorizers (`"tokens"`, `"source"`,
            `"target"`); labels are the new data's.
        label_names: the classes it was trained on, or `None`.
        tokens: `"char"` or `"word"`, or `None` for non-text data.
    """

    given: str
    path: str
    kind: str
    model: object
    vectorizers: dict
    label_names: list | None
    tokens: str | None

    def record(self):
        """What `config.json` and an export's card say of the start."""
        return {"from": self.given, "path": os.path.abspath(self.path), "kind": self.kind,
                "model_class": type(self.model).__name__, "task": self.model.task,
                "label_names": self.label_names}


def find_start(given):
    """The `Start` that `--init-from given` names."""
    from rnnzoo.train.run_folder import RunFolder

    if os.path.isfile(os.path.join(given, "config.json")):
        folder = RunFolder(given)
        config = folder.config()
        return Start(given, given, "run folder", folder.load_model(),
                     {k: v for k, v in folder.vectorizers().items() if k != "labels"},
                     config["data"].get("label_names"), config["data"].get("tokens"))
    from rnnzoo.export.pretrained import export_folder
    from rnnzoo.export.pretrained import load_pretrained

    path = export_folder(given)
    model = load_pretrained(path)
    context = model.preprocessor.context
    return Start(given, path, "export", model,
                 {k: v for k, v in context.vectorizers.items() if k != "labels"},
                 context.label_names, context.tokens)


def check_settings(start, settings, given):
    """Refuses settings that ask for another architecture or token unit
    than the trained model's (`given`: the settings the user set); returns
    `settings` with the trained model's token unit."""
    config = start.model.get_config()
    for name in ARCHITECTURE:
        if name in given and given[name] is not None and given[name] != config.get(name):
            raise UsageError(
                f"--{name.replace('_', '-')} {given[name]} asks for another model than "
                f"--init-from {start.given}, whose {name} is {config.get(name)!r}: leave "
                f"--{name.replace('_', '-')} out to keep the trained architecture.")
    if start.tokens and given.get("tokens") and given["tokens"] != start.tokens:
        raise UsageError(
            f"--tokens {given['tokens']} differs from --init-from {start.given}, which "
            f"reads {start.tokens} tokens: leave --tokens out or give {start.tokens}.")
    return {**settings, "tokens": start.tokens or settings.get("tokens")}


def check_task(start, model_class, task, from_files=True):
    """Refuses a trained model of another task or pattern than the run's
    (and tagging on user files, `from_files`)."""
    trained = f"{type(start.model).__name__} ({start.model.task})"
    wanted = f"{model_class.__name__} ({task})"
    if task == "tagging" and from_files:
        raise UsageError("--init-from does not fine-tune tagging models yet (their "
                         "vocabulary comes from the new data).")
    if type(start.model) is not model_class or start.model.task != task:
        raise UsageError(
            f"--init-from {start.given} is a {trained}; this recipe trains a {wanted}: "
            "start from a model of the same pattern and task.")


def model_arguments(start, data_arguments, dropout=None):
    """The constructor arguments of the run's model: the trained model's,
    with what the new data decides (the number of classes)."""
    arguments = dict(start.model.get_config())
    arguments.pop("name", None)
    arguments.update({k: v for k, v in data_arguments.items()
                      if k not in ("vocabulary_size", "source_vocabulary_size",
                                   "target_vocabulary_size")})
    if dropout is not None:
        arguments["dropout"] = dropout
    return arguments


def initialize(model, start, label_names):
    """Copies the trained weights into `model` (matched by path and shape);
    returns the paths left at their initialization (a new output layer for
    other labels), `[]` when every weight was copied."""
    from rnnzoo.export.pretrained import pair_weights

    trained = {w.path: w for w in start.model.weights}
    pairs = pair_weights(model.weights, trained)
    new_head = label_names is not None and list(label_names) != list(start.label_names or [])
    fresh, missing = [], []
    for weight in model.weights:
        if new_head and weight.path.startswith(HEAD):
            fresh.append(weight.path)
            continue
        source = trained.get(pairs.get(weight.path))
        if source is None or tuple(source.shape) != tuple(weight.shape):
            missing.append(weight.path)
            continue
        weight.assign(source.value)
    if missing:
        raise UsageError(
            f"--init-from {start.given}: the run's model has weights the trained model "
            f"lacks or shapes it differs in: {', '.join(missing)}.")
    return fresh


def out_of_vocabulary(dataset):
    """`(unknown tokens, tokens)` of the token-id inputs of `dataset`'s
    `(inputs, targets)` batches: id 1 is out-of-vocabulary, 0 padding."""
    unknown = total = 0
    for inputs, _ in dataset:
        for name, ids in inputs.items():
            if name.endswith("ids"):
                ids = np.asarray(ids)
                unknown += int((ids == 1).sum())
                total += int((ids > 0).sum())
    return unknown, total
