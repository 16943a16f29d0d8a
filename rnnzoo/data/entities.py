"""Entity-level precision, recall and F1 of tag sequences (CoNLL style).

The scores match `seqeval.metrics.f1_score` in its default mode, which
follows the CoNLL `conlleval` script: entities are read leniently from IOB1,
IOB2, IOE or IOBES tags (an `I-X` after `O` opens an entity, a change of
type closes one), counted as `(type, start, end)` triples, and micro
averaged. A score with a zero denominator is 0.
"""

import collections

import numpy as np


def _parts(tag):
    # "B-PER" -> ("B", "PER"); "O" -> ("O", "_"), as conlleval reads tags.
    prefix, rest = tag[:1], tag[1:]
    kind = rest.partition("-")[2] if "-" in rest else rest
    return prefix, kind or "_"


def _closes(prev, prev_kind, cur, kind):
    """Whether the entity before this position ends at the previous one."""
    if prev in ("E", "S"):
        return True
    if prev in ("B", "I") and cur in ("B", "S", "O"):
        return True
    return prev not in ("O", ".") and prev_kind != kind


def _opens(prev, prev_kind, cur, kind):
    """Whether an entity starts at this position."""
    if cur in ("B", "S"):
        return True
    if prev in ("E", "S", "O") and cur in ("E", "I"):
        return True
    return cur not in ("O", ".") and prev_kind != kind


def _sentences(tags):
    tags = list(tags)
    if tags and all(isinstance(t, str) for t in tags):
        return [tags]
    return [list(sentence) for sentence in tags]


def entities(tags):
    """The entities of tag sequences as a set of `(type, start, end)`.

    Args:
        tags: one sequence of tag strings, or a list of them (sentences).
            Positions count across sentences; no entity crosses a sentence
            boundary.

    Returns:
        A set of `(type, first position, last position)` triples.
    """
    found = set()
    offset = 0
    for sentence in _sentences(tags):
        prev, prev_kind, begin = "O", "_", 0
        for i, tag in enumerate(list(sentence) + ["O"]):
            cur, kind = _parts(tag)
            if _closes(prev, prev_kind, cur, kind):
                found.add((prev_kind, offset + begin, offset + i - 1))
            if _opens(prev, prev_kind, cur, kind):
                begin = i
            prev, prev_kind = cur, kind
        offset += len(sentence) + 1
    return found


def _check(true_tags, pred_tags):
    true_s, pred_s = _sentences(true_tags), _sentences(pred_tags)
    if len(true_s) != len(pred_s):
        raise ValueError(
            f"Got {len(true_s)} true and {len(pred_s)} predicted sentences."
        )
    for i, (t, p) in enumerate(zip(true_s, pred_s)):
        if len(t) != len(p):
            raise ValueError(
                f"Sentence {i} has {len(t)} true and {len(p)} predicted tags."
            )
    return true_s, pred_s


def _prf(correct, predicted, actual):
    precision = correct / predicted if predicted else 0.0
    recall = correct / actual if actual else 0.0
    total = precision + recall
    f1 = 2 * precision * recall / total if total else 0.0
    return {"precision": precision, "recall": recall, "f1": f1,
            "support": actual}


def entity_scores(true_tags, pred_tags):
    """Micro-averaged and per-type entity precision, recall and F1.

    Args:
        true_tags: the reference tags: a list of sentences (lists of tag
            strings) or one sequence.
        pred_tags: the predicted tags, in the same shape.

    Returns:
        A dict with `"precision"`, `"recall"`, `"f1"` and `"support"` (true
        entities) over all types, and `"per_type"`: the same for each type.
    """
    true_s, pred_s = _check(true_tags, pred_tags)
    true_e, pred_e = entities(true_s), entities(pred_s)
    scores = _prf(len(true_e & pred_e), len(pred_e), len(true_e))
    counts = collections.defaultdict(lambda: [0, 0, 0])
    for kind, *_ in true_e & pred_e:
        counts[kind][0] += 1
    for kind, *_ in pred_e:
        counts[kind][1] += 1
    for kind, *_ in true_e:
        counts[kind][2] += 1
    scores["per_type"] = {
        kind: _prf(*counts[kind]) for kind in sorted(counts)
    }
    return scores


def entity_f1(true_tags, pred_tags):
    """Entity-level micro F1, as `seqeval.metrics.f1_score` (default mode).

    Args:
        true_tags: the reference tags: a list of sentences (lists of tag
            strings such as `"B-PER"`, `"I-PER"`, `"O"`) or one sequence.
        pred_tags: the predicted tags, in the same shape.

    Returns:
        The F1 score, a float in [0, 1].

    Example:

    >>> entity_f1([["B-PER", "I-PER", "O", "B-LOC"]],
    ...           [["B-PER", "I-PER", "O", "O"]])
    0.6666666666666666
    """
    return entity_scores(true_tags, pred_tags)["f1"]


def tags_from_ids(tag_ids, token_ids, label_names):
    """Tag strings of a batch, without the padding positions.

    Args:
        tag_ids: `(B, T)` tag ids (targets, or the argmax of predictions).
        token_ids: the `(B, T)` input token ids; positions with id 0 are
            padding and are dropped.
        label_names: the tag name of each id (`TaskData.label_names`).

    Returns:
        A list of B lists of tag strings.
    """
    tag_ids, token_ids = np.asarray(tag_ids), np.asarray(token_ids)
    names = list(label_names)
    return [
        [names[int(t)] for t, tok in zip(row, tokens) if tok != 0]
        for row, tokens in zip(tag_ids, token_ids)
    ]
