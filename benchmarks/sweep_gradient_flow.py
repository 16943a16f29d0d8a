"""Gradient flow of a finished `long_range` sweep's models, measured after
the fact for the sweep's figures.

For each run `RECIPE-CELL-T{length}` of the sweep folder, writes its
`gradient_flow.json` as `--gradient-flow` would have: epoch 0, a freshly
initialized model of the run's config (same initializers, chrono included),
and the selected epoch, the trained model of the run; both on the same
batch of the run's validation split. `rnnzoo plot SWEEP_DIR` then draws
`gradient_flow_by_cell.png` (the longest T measured) and, per run,
`gradient_flow.png`.

    python benchmarks/sweep_gradient_flow.py runs/long_range --lengths 200
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402

from rnnzoo.train.callbacks import GradientFlow  # noqa: E402
from rnnzoo.train.recipe import find_recipe  # noqa: E402
from rnnzoo.train.run_data import load_data  # noqa: E402
from rnnzoo.train.run_folder import RunFolder  # noqa: E402


def measure(run_dir, batch_size):
    folder = RunFolder(run_dir)
    config = folder.config()
    trained = folder.load_model()
    task_data = load_data(find_recipe(config["recipe"]), config["settings"])
    inputs, targets = next(iter(task_data.validation.unbatch().batch(batch_size)))
    batch = (trained.data_inputs(inputs), targets)
    keras.utils.set_random_seed(config["settings"]["seed"])
    fresh = type(trained).from_config(trained.get_config())
    fresh.compile()
    path = os.path.join(run_dir, "gradient_flow.json")
    if os.path.exists(path):
        os.remove(path)
    for epoch, model in ((0, fresh), (folder.metrics()["selection"]["epoch"], trained)):
        callback = GradientFlow(batch, run_dir, log_dir=None)
        callback.set_model(model)
        callback.on_train_begin()
        callback.measure(epoch)
        callback.on_train_end()
    return path


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sweep_dir")
    parser.add_argument("--lengths", default="200", help="comma-separated T (default 200)")
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()
    lengths = {f"T{int(t)}" for t in args.lengths.split(",")}
    for name in sorted(os.listdir(args.sweep_dir)):
        run_dir = os.path.join(args.sweep_dir, name)
        if name.rsplit("-", 1)[-1] in lengths and os.path.exists(
                os.path.join(run_dir, "model.keras")):
            print("wrote", measure(run_dir, args.batch_size))


if __name__ == "__main__":
    main()
