"""The zoo: trained exports shipped in `saved_models/`, and their cards.

Each shipped model is `saved_models/<name>/<version>/`, a SavedModel that
TF Serving loads as is, with its card in `assets/rnnzoo.json`: the recipe
and command that trained it, its data and split, its held-out figures, the
training time, the date and its size.

The package does not carry the zoo (its weights are 48 MB): `find_zoo`
looks for it in `$RNNZOO_ZOO`, then in the clone rnnzoo runs or was
installed from, then in the working directory; a zoo name without a zoo is
a `UsageError` naming `RNNZOO_ZOO` (`missing_zoo`).
"""

import json
import os

#: The held-out figure each task's card leads with: `(metric, higher is
#: better)`, a key of the card's `test_metrics`.
FIGURES = {
    "classification": ("accuracy", True),
    "regression": ("loss", False),
    "forecasting": ("loss", False),
    "tagging": ("accuracy", True),
    "language_model": ("cross_entropy", False),
    "seq2seq": ("bleu", True),
    "conditional_generation": ("cross_entropy", False),
}
#: Seq2seq models whose task is exact (arithmetic) lead with exact match.
EXACT_TASK_RECIPES = ("addition",)


#: The variable that names the zoo's folder.
ZOO_VARIABLE = "RNNZOO_ZOO"


def default_base():
    """Where the zoo is (`find_zoo`), else `saved_models` (a folder that
    is not there: `missing_zoo` says what to do)."""
    return find_zoo() or "saved_models"


def find_zoo():
    """The zoo's folder, the first of: `$RNNZOO_ZOO` when set; the
    `saved_models/` beside this package, in a clone or an editable install
    of one (`pip install -e .`); the `saved_models/` of the clone a
    non-editable install was made from (`pip install .` or `pip install
    PATH`, which records the folder it installed from, PEP 610), while that
    clone is there; `saved_models/` in the working directory. `None` when
    there is none: a wheel does not carry the zoo (48 MB)."""
    if os.environ.get(ZOO_VARIABLE):
        return os.environ[ZOO_VARIABLE]
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    candidates = [os.path.join(os.path.dirname(package), "saved_models")]
    source = installed_from(os.path.dirname(package))
    if source:
        candidates.append(os.path.join(source, "saved_models"))
    candidates.append("saved_models")
    return next((path for path in candidates if os.path.isdir(path)), None)


def installed_from(site):
    """The local folder the rnnzoo installed in `site` (a folder of
    `sys.path`) was installed from, as its `direct_url.json` records it
    (PEP 610), or `None` (installed from a wheel, an index, or not by pip)."""
    from importlib import metadata
    from urllib.parse import unquote
    from urllib.parse import urlparse

    for dist in metadata.distributions(name="rnnzoo", path=[site]):
        try:
            record = json.loads(dist.read_text("direct_url.json") or "null")
        except (OSError, ValueError):
            continue
        if not isinstance(record, dict) or "dir_info" not in record:
            continue
        url = urlparse(str(record.get("url", "")))
        if url.scheme == "file":
            return unquote(url.path)
    return None


def missing_zoo():
    """What to do when the zoo is not found, in words naming `RNNZOO_ZOO`."""
    if os.environ.get(ZOO_VARIABLE):
        return (f"{ZOO_VARIABLE}={os.environ[ZOO_VARIABLE]} is not a folder: set it to the "
                "saved_models/ folder of a clone of the repository.")
    return ("No zoo here: this rnnzoo was installed without a clone of the repository "
            "(a wheel does not carry the trained models of saved_models/). Set "
            f"{ZOO_VARIABLE} to the saved_models/ folder of a clone, or give the folder "
            "of an export.")


def model_folder(given, base=None):
    """The folder of exported versions that `given` names: an existing
    folder, or the name of a model of the zoo (`rnnzoo zoo`)."""
    from rnnzoo.checks import suggest
    from rnnzoo.errors import UsageError

    if os.path.isdir(given):
        return given
    base = base or default_base()
    named = os.path.join(base, given)
    if os.sep not in given and "/" not in given and versions(named):
        return named
    if not os.path.isdir(base):
        where = f"{given} is neither a folder nor a model of the zoo. "
        raise UsageError(where + missing_zoo())
    names = [card["name"] for card in shipped(base)]
    raise UsageError(
        f"{given} is neither a folder nor a model of the zoo.{suggest(given, names)} "
        f"The zoo ({base}) holds: {', '.join(names) or 'nothing'}; `rnnzoo export RUN_DIR` "
        "writes a new export.")


def versions(model_dir):
    """The integer versions in `model_dir`, sorted."""
    if not os.path.isdir(model_dir):
        return []
    return sorted(int(v) for v in os.listdir(model_dir) if v.isdigit())


def folder_size(path):
    """Bytes of every file under `path`."""
    return sum(os.path.getsize(os.path.join(root, name))
               for root, _, names in os.walk(path) for name in names)


def figure(card):
    """`(metric, value)`: the held-out figure a card leads with."""
    metric, _ = FIGURES[card["task"]]
    if card["task"] == "seq2seq" and card.get("recipe") in EXACT_TASK_RECIPES:
        metric = "exact_match"
    return metric, card["test_metrics"][metric]


def shipped(base=None):
    """The cards of the newest version of every model in `base`, sorted by
    name, each with `name`, `version` and `path` added."""
    base = base or default_base()
    cards = []
    for name in sorted(os.listdir(base)) if os.path.isdir(base) else []:
        found = versions(os.path.join(base, name))
        if not found:
            continue
        path = os.path.join(base, name, str(found[-1]))
        card_path = os.path.join(path, "assets", "rnnzoo.json")
        if not os.path.exists(card_path):
            continue
        with open(card_path) as f:
            card = json.load(f)
        cards.append({**card, "name": name, "version": found[-1], "path": path})
    return cards


def table(cards):
    """Rows for `rnnzoo zoo`: name, task, model, figure, size."""
    rows = [("name", "task", "model", "held-out figure", "size")]
    for card in cards:
        config = card["model_config"]
        model = f"{card['model_class']} ({config.get('cell')}, {config.get('units')} units)"
        metric, value = figure(card)
        if metric in ("accuracy", "exact_match"):
            shown = f"{100 * value:.2f} %"
        elif metric in ("bleu", "chrf"):
            shown = f"{value:.2f}"
        else:
            shown = f"{value:.4f} nats/token"
        size = card.get("size_bytes") or folder_size(card["path"])
        rows.append((card["name"], card["task"], model, f"{metric} {shown}",
                     f"{size / 1e6:.1f} MB"))
    return rows


#: How the cells are written.
CELLS = {"lstm": "LSTM", "gru": "GRU", "elman": "Elman", "jordan": "Jordan"}
#: The design pattern of each model class.
PATTERNS = {
    "SequenceTagger": "output at every step",
    "OutputFeedbackRNN": "output-to-hidden recurrence",
    "SequenceClassifier": "whole sequence to one output",
    "Seq2Seq": "encoder-decoder",
    "SequenceGenerator": "one-to-many",
}


def describe_figure(card):
    """The held-out figure of a card in words, with the test split's size."""
    metric, value = figure(card)
    test = card["test_metrics"]
    if metric in ("accuracy", "exact_match"):
        shown = f"{metric.replace('_', ' ')} {100 * value:.2f} %"
    elif metric == "bleu":
        shown = f"BLEU {value:.2f}, chrF {test['chrf']:.2f}"
    else:
        unit = "word" if card.get("tokens") == "word" else "char"
        given = " given the label" if card["task"] == "conditional_generation" else ""
        shown = f"{value:.3f} nats per {unit}{given}"
    size = ((card.get("data") or {}).get("splits") or {}).get("sizes", {}).get("test")
    what = "examples"
    if card["task"] == "language_model":
        what = "words" if card.get("tokens") == "word" else "characters"
    return shown + (f" ({size:,} test {what})" if size else "")


def describe_model(card):
    """`Class, CELL LAYERSxUNITS` and what else its config says."""
    config = card["model_config"]
    cell = CELLS.get(config.get("cell"), config.get("cell"))
    units = config.get("units") or config.get("encoder_units")
    layers = config.get("num_layers") or 1
    extras = [k for k in ("bidirectional",) if config.get(k)]
    extras += [f"{config[k]} attention" for k in ("attention",) if config.get(k)]
    extras += [f"{config[k]} pooling" for k in ("pooling",) if config.get(k)]
    return f"`{card['model_class']}`, {cell} {layers}x{units}" + (
        f" ({', '.join(extras)})" if extras else "")


def markdown(cards):
    """The zoo as a Markdown table (`rnnzoo zoo --markdown`), from the
    cards alone: name, pattern, model, task, held-out figure, size and the
    command that trained it."""
    lines = ["| name | pattern | model | task | held-out figure | size | command |",
             "|---|---|---|---|---|---:|---|"]
    for card in cards:
        size = card.get("size_bytes") or folder_size(card["path"])
        lines.append(" | ".join([
            f"| `{card['name']}`", PATTERNS.get(card["model_class"], ""), describe_model(card),
            card["task"].replace("_", " "), describe_figure(card), f"{size / 1e6:.1f} MB",
            f"`{card.get('command') or ''}` |"]))
    return "\n".join(lines)
