"""One-to-many: write a movie review of a given sentiment.

Dataset: TFDS `imdb_reviews` as conditional generation: the label
(neg/pos) is the condition, the review's first 60 words the sequence;
4,000-word vocabulary. Or your own TSV `text<TAB>label` with `--data`.
Model: `generator_lstm_1x256`: `SequenceGenerator`, the label's embedding
sets the initial state of a 1-layer LSTM (256 units, 128-dimensional word
embeddings, dropout 0.3) and is fed at every step.
Training: at most 30 epochs, the epoch with the best validation loss kept,
stopping after 3 without improvement.
Measured: README, "Quality reached on this machine", run `mr_generator` (on MR)
(figures rendered from the kept `metrics.json`, never restated here).
Command: rnnzoo train review_generator; then
rnnzoo generate runs/review_generator --condition pos
"""

from rnnzoo.train.recipe import Recipe

RECIPE = Recipe(
    name="review_generator",
    task="conditional_generation",
    description="label-conditioned review generator (one-to-many) on imdb_reviews",
    settings={
        "dataset": "imdb_reviews",
        "model": "generator_lstm_1x256",
        "tokens": "word",
        "max_vocabulary": 4000,
        "max_input_tokens": 60,
        "dropout": 0.3,
        "epochs": 30,
        "patience": 3,
        "batch_size": 64,
        "max_new_tokens": 40,
    },
    dataset_config={"task": "conditional_generation"},
    smoke={"epochs": 1, "batch_size": 16, "units": 8},
)

if __name__ == "__main__":
    from rnnzoo.cli import train_main

    train_main(RECIPE)
