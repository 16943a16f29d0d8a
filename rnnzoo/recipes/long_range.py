"""Long-range memory, measured: where the vanilla RNN stops learning.

Runs `adding_problem` and `copy_memory` for every cell (Elman, Jordan,
LSTM, GRU) at T = 10, 100, 200, 500 (copy memory up to 200), two runs
at a time (`--jobs`), and tabulates the test loss of each against T in
`runs/long_range/summary.json`: the vanishing-gradient claim (Bengio et
al. 1994; Hochreiter & Schmidhuber 1997) as numbers. Each run stops once it
has solved its task (validation MSE 0.001 on the adding problem, 0.005
nats per step on copy memory: `target`), or after `patience` epochs
without progress, or at the end of its budget: the recipe's 60 epochs for
the adding problem, 20 for copy memory (60 epochs of an LSTM at T = 200
would take this machine about half an hour a run). Copy memory is a
curriculum: each cell's T = 100 run starts from its trained T = 10 run, and
T = 200 from T = 100 (from scratch, 20 epochs left the LSTM at T = 100 near
its memoryless baseline; started from T = 10, it learns the copy).
Results: README, "Why LSTM?".
Command: rnnzoo train long_range [--recipes copy_memory] [--lengths 10,50,100]
[--cells elman,lstm] [--jobs 2]
"""

from rnnzoo.train.recipe import Sweep

RECIPE = Sweep(
    name="long_range",
    recipes=("adding_problem", "copy_memory"),
    cells=("elman", "jordan", "lstm", "gru"),
    lengths={"adding_problem": (10, 100, 200, 500), "copy_memory": (10, 100, 200)},
    recipe_settings={"adding_problem": {"target": 0.001},
                     "copy_memory": {"target": 0.005, "epochs": 20}},
    curriculum=("copy_memory",),
    description="adding problem and copy memory, every cell, T = 10..500",
)

if __name__ == "__main__":
    from rnnzoo.cli import train_main

    train_main(RECIPE)
