"""Learning-rate schedules of a run, from Keras's own pieces.

- `constant`: the learning rate throughout.
- `cosine`: `keras.optimizers.schedules.CosineDecay` per step: a linear
  warm-up from 0 over `warmup_steps`, then cosine decay from the learning
  rate to 0 at the end of the last epoch.
- `plateau`: `keras.callbacks.ReduceLROnPlateau` on the selection metric,
  with its state kept in the run's checkpoints (a resumed run lowers the
  rate at the same epochs as an uninterrupted one).
"""

import keras

from rnnzoo.train.selection import mode_of


def learning_rate(settings, steps_per_epoch):
    """The optimizer's learning rate: a float, or a per-step schedule."""
    peak = settings["learning_rate"]
    if settings["lr_schedule"] != "cosine":
        return peak
    total = settings["epochs"] * steps_per_epoch
    warmup = min(settings["warmup_steps"], total - 1)
    if not warmup:
        return keras.optimizers.schedules.CosineDecay(peak, decay_steps=total)
    return keras.optimizers.schedules.CosineDecay(
        0.0, decay_steps=total - warmup, warmup_target=peak, warmup_steps=warmup
    )


class ResumablePlateau(keras.callbacks.ReduceLROnPlateau):
    """`ReduceLROnPlateau` that keeps its state across the engine's
    one-epoch `fit` calls and through a checkpoint (`state`, `restore`)."""

    def __init__(self, monitor, factor, patience):
        super().__init__(monitor=monitor, factor=factor, patience=patience,
                         mode=mode_of(monitor), min_lr=0.0, verbose=0)
        self._reset()

    def on_train_begin(self, logs=None):
        pass  # Each epoch is its own `fit`: the state must carry over.

    def state(self):
        return {"wait": self.wait, "best": float(self.best),
                "cooldown_counter": self.cooldown_counter}

    def restore(self, state):
        if state:
            self.wait = state["wait"]
            self.best = state["best"]
            self.cooldown_counter = state["cooldown_counter"]


def plateau_callback(settings):
    """The `ResumablePlateau` of a run, or `None` if its schedule is another."""
    if settings["lr_schedule"] != "plateau":
        return None
    return ResumablePlateau(settings["select_on"], settings["lr_factor"], settings["lr_patience"])
