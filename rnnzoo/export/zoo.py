"""The zoo: trained exports shipped in `saved_models/`, and their cards.

Each shipped model is `saved_models/<name>/<version>/`, a SavedModel that
TF Serving loads as is, with its card in `assets/rnnzoo.json`: the recipe
and command that trained it, its data and split, its held-out figures, the
training time, the date and its size.
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


def default_base():
    """`saved_models/` of this checkout (where `pip install -e .` puts
    the zoo), else of the working directory."""
    here = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                        "saved_models")
    return here if os.path.isdir(here) else "saved_models"


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
