"""Entity-level F1, against figures of seqeval's default mode."""

import pytest

from rnnzoo.data.entities import entities
from rnnzoo.data import entity_f1
from rnnzoo.data import entity_scores


def test_seqeval_readme_example():
    # seqeval's README: f1_score(y_true, y_pred) == 0.50.
    y_true = [["O", "O", "O", "B-MISC", "I-MISC", "I-MISC", "O"],
              ["B-PER", "I-PER", "O"]]
    y_pred = [["O", "O", "B-MISC", "I-MISC", "I-MISC", "I-MISC", "O"],
              ["B-PER", "I-PER", "O"]]
    assert entity_f1(y_true, y_pred) == pytest.approx(0.5)
    scores = entity_scores(y_true, y_pred)
    assert scores["precision"] == pytest.approx(0.5)
    assert scores["recall"] == pytest.approx(0.5)
    assert scores["per_type"]["MISC"]["f1"] == 0.0
    assert scores["per_type"]["PER"]["f1"] == 1.0


def test_entities_read_leniently_as_conlleval():
    # An I- after O opens an entity (IOB1); a type change closes one.
    assert entities(["I-PER", "I-PER", "O", "I-LOC", "I-ORG"]) == {
        ("PER", 0, 1), ("LOC", 3, 3), ("ORG", 4, 4)}
    # B- after I- of the same type starts a new entity.
    assert entities(["B-PER", "I-PER", "B-PER"]) == {("PER", 0, 1), ("PER", 2, 2)}
    # IOBES.
    assert entities(["S-LOC", "B-PER", "E-PER", "O"]) == {
        ("LOC", 0, 0), ("PER", 1, 2)}
    # No entity crosses a sentence boundary.
    assert entities([["B-PER"], ["I-PER"]]) == {("PER", 0, 0), ("PER", 2, 2)}


def test_iob1_and_iob2_spellings_score_the_same():
    iob1 = [["I-PER", "I-PER", "O", "I-LOC"]]
    iob2 = [["B-PER", "I-PER", "O", "B-LOC"]]
    assert entity_f1(iob1, iob2) == 1.0


def test_partial_and_empty_scores():
    assert entity_f1(["B-PER", "I-PER", "O", "B-LOC"],
                     ["B-PER", "I-PER", "O", "O"]) == pytest.approx(2 / 3)
    assert entity_f1([["O", "O"]], [["O", "O"]]) == 0.0
    assert entity_f1([["B-PER"]], [["O"]]) == 0.0


def test_shape_mismatch_raises():
    with pytest.raises(ValueError, match="2 true and 1 predicted sentences"):
        entity_f1([["O"], ["O"]], [["O"]])
    with pytest.raises(ValueError, match="Sentence 0 has 2 true and 1"):
        entity_f1([["O", "O"]], [["O"]])
