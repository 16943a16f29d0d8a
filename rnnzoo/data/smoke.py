"""A few synthetic records shaped like each catalog dataset, for `smoke=True`.

They have the features and dtypes TFDS gives (`text`/`label`, `tokens`/
`ner`, one `text` per split, `pt`/`en`), are made from small word lists
with a seeded generator, and need no download: recipes use them to run end
to end in seconds. They are not data to learn anything real from.
"""

import numpy as np
import tensorflow as tf

SIZES = {"train": 64, "validation": 16, "test": 16}

_GOOD = "good great fine superb moving funny".split()
_BAD = "bad dull awful boring weak silly".split()
_FILLER = "the film was a plot and actors story with".split()
_PEOPLE = "Anna Pedro John Maria".split()
_PLACES = "Paris Lisbon Berlin Rome".split()
_VERBS = "visited left saw loved".split()
_PT_EN = {"o": "the", "gato": "cat", "cão": "dog", "come": "eats",
          "vê": "sees", "peixe": "fish", "pão": "bread", "grande": "big"}
_LINES = [
    "First Citizen:\nBefore we proceed any further, hear me speak.\n\n",
    "All:\nSpeak, speak.\n\n",
    "MENENIUS:\nWhy, masters, my good friends, mine honest neighbours,\n",
    "Will you undo yourselves?\n\n",
]

# ClassLabel names of the real builders (conll2003 `ner`, imdb `label`).
NER_TAGS = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC",
            "B-MISC", "I-MISC"]
META = {
    "imdb_reviews": {"label_names": ["neg", "pos"]},
    "tiny_shakespeare": {},
    "conll2003": {"tag_names": NER_TAGS},
    "ted_hrlr_translate/pt_to_en": {"language_pair": ("pt", "en")},
}


def _review(rng):
    label = int(rng.integers(0, 2))
    words = list(rng.choice(_FILLER, size=int(rng.integers(4, 12))))
    words += list(rng.choice(_GOOD if label else _BAD, size=2))
    rng.shuffle(words)
    return {"text": " ".join(words) + ".", "label": label}


def _sentence(rng):
    person, place = rng.choice(_PEOPLE), rng.choice(_PLACES)
    tokens = [person, rng.choice(_VERBS), place, "."]
    tags = [NER_TAGS.index("B-PER"), 0, NER_TAGS.index("B-LOC"), 0]
    return {"tokens": tokens, "ner": tags}


def _pair(rng):
    words = list(rng.choice(sorted(_PT_EN), size=int(rng.integers(2, 6))))
    return {"pt": " ".join(words), "en": " ".join(_PT_EN[w] for w in words)}


def records(name, seed=0):
    """Synthetic TFDS-like records: split -> `tf.data.Dataset` of dicts."""
    rng = np.random.default_rng(seed)
    out = {}
    for split, size in SIZES.items():
        if name == "tiny_shakespeare":
            text = "".join(rng.choice(_LINES) for _ in range(size))
            out[split] = tf.data.Dataset.from_tensors({"text": text})
        elif name == "conll2003":
            examples = [_sentence(rng) for _ in range(size)]
            out[split] = tf.data.Dataset.from_tensor_slices({
                "tokens": tf.ragged.constant([e["tokens"] for e in examples]),
                "ner": tf.ragged.constant([e["ner"] for e in examples],
                                          dtype=tf.int64),
            }).map(lambda ex: {k: _dense(v) for k, v in ex.items()})
        else:
            make = _pair if name.startswith("ted_hrlr") else _review
            examples = [make(rng) for _ in range(size)]
            out[split] = tf.data.Dataset.from_tensor_slices(
                {key: [e[key] for e in examples] for key in examples[0]}
            )
    return out


def _dense(tensor):
    return tensor.to_tensor() if isinstance(tensor, tf.RaggedTensor) else tensor
