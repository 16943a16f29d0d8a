"""Named entities of CoNLL-2003 with a bidirectional tagger.

Dataset: TFDS `conll2003` (English; IOB2 tags of PER, ORG, LOC, MISC);
words. Offline: `rnnzoo data prepare conll2003 --from train.txt dev.txt
test.txt`.
Model: `SequenceTagger`, 2 bidirectional LSTM layers of 128 units.
Expected: entity-level F1 on the test split (`f1` in metrics.json); a
BiLSTM without characters or a CRF typically lands in the high 70s to
mid 80s.
Command: rnnzoo train conll_ner
"""

from rnnzoo.train.recipe import Recipe

RECIPE = Recipe(
    name="conll_ner",
    task="tagging",
    description="bidirectional LSTM NER tagger on conll2003, entity F1",
    settings={
        "dataset": "conll2003",
        "model": "tagger_lstm_bidirectional_2x128",
        "dropout": 0.3,
        "tokens": "word",
        "epochs": 15,
        "batch_size": 32,
    },
    metrics=("f1",),
    smoke={"epochs": 1, "batch_size": 16, "units": 8},
)

if __name__ == "__main__":
    from rnnzoo.cli import train_main

    train_main(RECIPE)
