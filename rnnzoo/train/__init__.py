"""The training engine: a recipe's settings, its run folder, and `run`.

`rnnzoo.train.engine.run(recipe, overrides)` trains a `Recipe`
(`rnnzoo.train.recipe`) into a run folder (`rnnzoo.train.run_folder`):
config, per-epoch checkpoints, the selected epoch's model and its held-out
metrics. Sweeps, schedules, selection and `tf.distribute` live beside it.
"""
