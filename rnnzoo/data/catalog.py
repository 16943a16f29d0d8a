"""TFDS catalog datasets turned into task pipelines."""

import dataclasses

import tensorflow as tf
import tensorflow_datasets as tfds

from rnnzoo.data import language_model as lm_lib
from rnnzoo.data import offline
from rnnzoo.data import prepare as prepare_lib
from rnnzoo.data import tagging as tagging_lib
from rnnzoo.data import text_tasks

SPLITS = {"train": "train", "validation": "validation", "test": "test"}


@dataclasses.dataclass(frozen=True)
class Entry:
    """How rnnzoo reads one catalog dataset.

    Attributes:
        tfds_name: the name given to `tfds.builder`.
        tasks: the tasks it can serve, the default first.
        tokens: the default tokens (`None`: pre-tokenized).
        splits: rnnzoo split -> TFDS split (with slicing).
        domain: what the texts are, in words (a served model's card says
            it); free text: no input form.
    """

    tfds_name: str
    tasks: tuple
    tokens: str | None
    splits: dict
    domain: str | None = None


CATALOG = {
    "imdb_reviews": Entry(
        "imdb_reviews/plain_text", ("classification", "conditional_generation"),
        "word",
        # No validation split: the last 10 % of train (TFDS shuffled it).
        {"train": "train[:90%]", "validation": "train[90%:]", "test": "test"},
        "English movie reviews from IMDB, labelled positive or negative",
    ),
    "tiny_shakespeare": Entry(
        "tiny_shakespeare", ("language_model",), "char", SPLITS,
        "Shakespeare's plays in English, as plain text",
    ),
    "conll2003": Entry(
        "conll2003", ("tagging",), None,
        {"train": "train", "validation": "dev", "test": "test"},
        "English news (Reuters), tokenized, with named entities tagged",
    ),
    "ted_hrlr_translate/pt_to_en": Entry(
        "ted_hrlr_translate/pt_to_en", ("seq2seq",), "word", SPLITS,
        "Portuguese TED talk transcripts and their English translations",
    ),
}


def entry_for(name):
    try:
        return CATALOG[name]
    except KeyError:
        raise ValueError(
            f"Unknown catalog dataset {name!r}; known: {', '.join(CATALOG)}."
        ) from None


def metadata(builder):
    """The label names and language pair a pipeline needs, from TFDS info."""
    features = builder.info.features
    meta = {}
    if "label" in features:
        meta["label_names"] = list(features["label"].names)
    if "ner" in features:
        meta["tag_names"] = list(features["ner"].feature.names)
    config = builder.builder_config
    if hasattr(config, "language_pair"):
        meta["language_pair"] = tuple(config.language_pair)
    return meta


def _text_of(ds):
    """The text of a split: its examples' `text` joined (one in TFDS)."""
    return "".join(
        example["text"].decode("utf-8") for example in tfds.as_numpy(ds)
    )


def pipeline(name, records, meta, *, task=None, tokens=None, batch_size=32,
             max_length=None, seed=0, info=None, **options):
    """Turns the TFDS records of a catalog dataset into a `TaskData`.

    Args:
        name: a `CATALOG` name.
        records: rnnzoo split -> `tf.data.Dataset` of TFDS feature dicts.
        meta: `metadata(builder)` (or the same facts for synthetic records).
        task: one of the entry's tasks (default: its first).
        tokens: `"char"` or `"word"` (default: the entry's).
        options: `max_tokens`, `standardize` for the text pipelines.
    """
    entry = entry_for(name)
    task = task or entry.tasks[0]
    if task not in entry.tasks:
        raise ValueError(
            f"{name} serves the task(s) {', '.join(entry.tasks)}, not {task!r}."
        )
    if entry.tokens is None and tokens not in (None, "word"):
        raise ValueError(f"{name} is pre-tokenized: `tokens` must be 'word'.")
    tokens = tokens or entry.tokens
    info = dict(info or {}, name=name, task=task)
    common = dict(batch_size=batch_size, max_length=max_length, seed=seed,
                  info=info, **options)
    if task == "language_model":
        texts = {split: _text_of(ds) for split, ds in records.items()}
        info["split_characters"] = {k: len(v) for k, v in texts.items()}
        return lm_lib.language_model(texts, tokens=tokens, **common)
    if task == "tagging":
        names = tf.constant(meta["tag_names"])
        raw = {
            split: ds.map(lambda ex: (
                ex["tokens"],
                tagging_lib.to_iob2(tf.gather(names, ex["ner"])),
            ))
            for split, ds in records.items()
        }
        return tagging_lib.tagging(raw, tag_names=meta["tag_names"], **common)
    if task == "seq2seq":
        source, target = meta["language_pair"]
        raw = {
            split: ds.map(lambda ex: (ex[source], ex[target]))
            for split, ds in records.items()
        }
        return text_tasks.seq2seq(raw, tokens=tokens, **common)
    raw = {
        split: ds.map(lambda ex: (ex["text"], ex["label"]))
        for split, ds in records.items()
    }
    build = (text_tasks.classification if task == "classification"
             else text_tasks.conditional_generation)
    return build(raw, label_names=meta["label_names"], string_labels=False,
                 tokens=tokens, **common)


def load_catalog(name, *, data_dir=None, manual_dir=None, **kwargs):
    """Loads a TFDS catalog dataset, prepared offline or downloaded.

    `manual_dir` is TFDS's manual directory; for `conll2003`, whose files
    TFDS would not take from there, rnnzoo caches them first.

    Raises:
        offline.DatasetNotAvailableError: within seconds, when it is neither
            prepared nor downloadable.
    """
    entry = entry_for(name)
    builder = tfds.builder(entry.tfds_name, data_dir=data_dir)
    if not offline.tfds_is_mocked():
        prepare_lib.prepare_from_manual_dir(builder, manual_dir)
    offline.ensure_prepared(builder, manual_dir=manual_dir)
    records = {
        split: builder.as_dataset(split=tfds_split)
        for split, tfds_split in entry.splits.items()
    }
    info = {
        "source": "tfds",
        "tfds_name": entry.tfds_name,
        "tfds_splits": dict(entry.splits),
        "data_dir": str(builder.data_dir_root),
        "domain": entry.domain,
    }
    return pipeline(name, records, metadata(builder), info=info, **kwargs)
