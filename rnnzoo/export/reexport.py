"""Writing a shipped export again from its own weights: `reexport(name)`.

A zoo model has no run folder behind it: its SavedModel is the artifact.
When the serving graph or the card learns something new (the form of input
the data had, the `sample` signature of a model that samples: issue 23),
`reexport` rebuilds the Keras model and its
`ServingContext` from the export (`load_pretrained`), adds the data facts a
run of the card's built-in dataset records now, and writes the same
version again: the same weights and vocabularies, the same card (its
figures, command and selection as they were), the serving graph of this
rnnzoo.
"""

import datetime
import json
import os

from rnnzoo.export import pretrained
from rnnzoo.export.saved_model import export_saved_model
from rnnzoo.export.saved_model import sampling_card
from rnnzoo.models.serving import InputForm

#: Card keys that the export writes itself, from the model and its context.
WRITTEN = ("task", "model_class", "model_config", "label_names", "tokens",
           "max_input_tokens", "reverse_source", "input_form", "domain", "decode",
           "signatures", "sampling", "versions", "size_bytes")


def data_facts_now(card):
    """`{"domain": ..., "input_form": ...}` that a run of the card's data
    records today: its built-in dataset's (`rnnzoo.data.builtin.
    domain_facts`); `{}` for a user's files or a catalog dataset."""
    from rnnzoo.data import builtin

    settings = card.get("settings") or {}
    if settings.get("data") or settings.get("dataset") not in builtin.BUILDERS:
        return {}
    return builtin.domain_facts(settings["dataset"], **(card.get("dataset_config") or {}))


def added(card, model, context):
    """The card keys a re-export adds: the data facts (`input_form`,
    `domain`) and the `sample` signature (`sampling`) the card lacked."""
    found = [k for k in ("input_form", "domain") if card.get(k) is None
             and getattr(context, k) is not None]
    endpoints = [name for name, _, _ in model.serving_endpoints(context)]
    if card.get("sampling") is None and sampling_card(context, endpoints):
        found.append("sampling")
    return sorted(found)


def reexport(name_or_path, base=None):
    """Writes the export of a zoo name (or an export's folder) again, in
    place, from its own weights, with the data facts its card lacked.

    Returns:
        The version folder, rewritten.
    """
    path = pretrained.export_folder(name_or_path, base)
    with open(os.path.join(path, pretrained.CARD)) as f:
        card = json.load(f)
    model = pretrained.load_pretrained(path)
    context = model.preprocessor.context
    facts = data_facts_now(card)
    if "input_form" in facts:
        context.input_form = InputForm.from_config(facts["input_form"])
    context.domain = facts.get("domain", context.domain)
    metadata = {k: v for k, v in card.items() if k not in WRITTEN}
    metadata["data"] = dict(sorted({**(card.get("data") or {}), **facts}.items()))
    metadata["reexported"] = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "how": "rnnzoo.export.reexport.reexport: the export's own weights and "
               "vocabularies, its card, the serving graph of this rnnzoo",
        "added": added(card, model, context),
    }
    if card.get("reexported"):
        metadata["reexported"]["previous"] = card["reexported"]
    model_dir, version = os.path.split(os.path.normpath(path))
    base_dir, name = os.path.split(model_dir)
    return export_saved_model(model, name, base_dir=base_dir, version=int(version),
                              overwrite=True, context=context, metadata=metadata)
