"""IMDB sentiment: a bidirectional LSTM reads a review, says positive or not.

Dataset: TFDS `imdb_reviews` (25,000 train reviews, split 90/10 into train
and validation, and the 25,000 test reviews); words, 20,000-word
vocabulary, reviews cut to 200 words.
Model: `SequenceClassifier`, 2 bidirectional LSTM layers of 64 units,
128-dimensional embeddings.
Expected: about 0.84 test accuracy after 2 epochs (keras-io's
*bidirectional_lstm_imdb*: 0.8428 validation accuracy after 2 epochs).
Command: rnnzoo train imdb_sentiment
"""

from rnnzoo.recipe import Recipe

RECIPE = Recipe(
    name="imdb_sentiment",
    task="classification",
    description="bidirectional LSTM sentiment classifier on TFDS imdb_reviews",
    settings={
        "dataset": "imdb_reviews",
        "model": "classifier_lstm_bidirectional_max_2x64",
        "tokens": "word",
        "max_input_tokens": 200,
        "dropout": 0.5,
        "epochs": 12,
        "patience": 4,
        "select_on": "val_accuracy",
        "batch_size": 32,
    },
    dataset_config={"max_tokens": 20000},
    smoke={"epochs": 1, "batch_size": 16, "units": 8},
)

if __name__ == "__main__":
    from rnnzoo.cli import train_main

    train_main(RECIPE)
