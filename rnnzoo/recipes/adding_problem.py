"""The adding problem (Hochreiter & Schmidhuber 1997): a long-range test.

Dataset: rnnzoo's built-in `adding_problem` builder (no download): T steps
of (value in [0, 1], marker); exactly two markers; the target is the sum of
the two marked values. Predicting the mean, 1, gives MSE 1/6 = 0.167.
Model: `SequenceClassifier` regression on the last step, `--cell` chosen.
Expected: LSTM/GRU reach MSE < 0.01 where the vanilla (Elman) RNN stays
near 0.167 as T grows; see `long_range`.
Command: rnnzoo train adding_problem --cell lstm --length 100
"""

from rnnzoo.train.recipe import Recipe

RECIPE = Recipe(
    name="adding_problem",
    task="regression",
    description="sum of two marked values after T steps (long-range memory)",
    settings={
        "dataset": "adding_problem",
        "model": "classifier_lstm_small",
        "length": 100,
        "epochs": 60,
        "patience": 10,
        "min_delta": 1e-4,
        "batch_size": 64,
        "learning_rate": 0.003,
        "chrono": True,
    },
    smoke={"epochs": 1, "batch_size": 16, "length": 10, "units": 8},
)

if __name__ == "__main__":
    from rnnzoo.cli import train_main

    train_main(RECIPE)
