"""Long-range memory, measured: where the vanilla RNN stops learning.

Runs `adding_problem` and `copy_memory` for every cell (Elman, Jordan,
LSTM, GRU) at T = 10, 50, 100, 200, 500, and tabulates the test figure of
each against T in `runs/long_range/summary.json`: the vanishing-gradient
claim (Bengio et al. 1994; Hochreiter & Schmidhuber 1997) as numbers.
Expected: the Elman and Jordan cells approach the memoryless baselines
(MSE 0.167; copy cross-entropy 10 log 8 / (T + 20)) as T grows, LSTM and GRU
stay below them.
Command: rnnzoo train long_range [--lengths 10,50,100] [--cells elman,lstm]
"""

from rnnzoo.recipe import Sweep

RECIPE = Sweep(
    name="long_range",
    recipes=("adding_problem", "copy_memory"),
    cells=("elman", "jordan", "lstm", "gru"),
    lengths={"adding_problem": (10, 50, 100, 200, 500), "copy_memory": (10, 50, 100, 200)},
    description="adding problem and copy memory, every cell, T = 10..500",
)

if __name__ == "__main__":
    from rnnzoo.cli import train_main

    train_main(RECIPE)
