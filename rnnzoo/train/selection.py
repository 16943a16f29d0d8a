"""Which epoch a run keeps: the best on a validation metric, when to stop
early, and whether the run converged.

A run ends in one of three ways (`stopped` in `metrics.json`):

- `"target"`: the metric reached `--target` (the run is solved);
- `"patience"`: `--patience` epochs in a row brought no improvement larger
  than `--min-delta` (early stopping);
- `"ceiling"`: it trained `--epochs` epochs, the most it may.

`converged` is true for the first two. A run stopped by the ceiling did
not converge when its metric improved by more than `--min-delta` within
its last `max(patience, 1)` epochs: with `patience > 0` that is always the
case (early stopping would otherwise have ended it), with `patience` 0 it
means the last epoch improved. Such a run would likely gain from more
epochs, and the engine says so (`--epochs N`).
"""

import dataclasses

from rnnzoo.errors import UsageError


def mode_of(metric):
    """`"min"` for losses and errors, `"max"` for the rest (accuracy...)."""
    lower = metric.lower()
    return "min" if any(k in lower for k in ("loss", "entropy", "error", "mae", "mse")) else "max"


def check_select_on(metric, available):
    """Returns `metric` if it is one of the validation metrics `available`."""
    if metric not in available:
        from rnnzoo.train.recipe import suggest

        raise UsageError(
            f"Setting `select_on` must name a validation metric of this run: "
            f"one of {sorted(available)}; received {metric!r}.{suggest(metric, available)}"
        )
    return metric


@dataclasses.dataclass
class Selection:
    """The best epoch so far on `on` (a validation metric), and the epochs
    since the metric last improved by more than `min_delta` (`wait`); with
    `patience > 0`, training stops once `wait` reaches it (as
    `keras.callbacks.EarlyStopping` counts). With a `target`, training
    stops once the metric reaches it (at or below a loss's target, at or
    above an accuracy's): the run is solved. `epochs` is the ceiling of
    the run, which tells a run that ended there (`report`)."""

    on: str = "val_loss"
    patience: int = 0
    min_delta: float = 0.0
    epoch: int | None = None
    value: float | None = None
    reference: float | None = None
    target: float | None = None
    epochs: int | None = None
    wait: int = 0
    stopped_early: bool = False
    reached_target: bool = False

    @property
    def mode(self):
        return mode_of(self.on)

    def update(self, epoch, logs):
        """Records epoch `epoch` (1-based) with its `logs`; returns whether
        it is the new best."""
        value = float(logs[self.on])
        sign = 1.0 if self.mode == "min" else -1.0
        better = self.value is None or sign * (value - self.value) < 0
        if better:
            self.epoch, self.value = epoch, value
        if self.reference is None or sign * (value - self.reference) < -self.min_delta:
            self.reference, self.wait = value, 0
        else:
            self.wait += 1
        self.reached_target = self.target is not None and sign * (value - self.target) <= 0
        self.stopped_early = self.reached_target or (
            bool(self.patience) and self.wait >= self.patience)
        return better

    def stopped(self, epochs_done):
        """Why the run stopped after `epochs_done` epochs: `"target"`,
        `"patience"`, `"ceiling"`, or `None` if it has not stopped."""
        if self.reached_target:
            return "target"
        if self.stopped_early:
            return "patience"
        if self.epochs is not None and epochs_done >= self.epochs:
            return "ceiling"
        return None

    def converged(self, epochs_done):
        """Whether the run converged (see the module's docstring); `None` if
        it has not stopped."""
        stopped = self.stopped(epochs_done)
        if stopped is None:
            return None
        return stopped != "ceiling" or self.wait >= max(self.patience, 1)

    def report(self, epochs_done):
        """What `metrics.json` says of the selection."""
        stopped = self.stopped(epochs_done)
        if self.reached_target:
            reason = (f"best {self.on} ({self.mode}); stopped at epoch {epochs_done}, "
                      f"which reached the target {self.target:g}")
        elif self.stopped_early:
            reason = (f"best {self.on} ({self.mode}); stopped early after {self.wait} "
                      f"epochs without an improvement over {self.min_delta:g} "
                      f"(patience {self.patience})")
        else:
            reason = f"best {self.on} ({self.mode}) of {epochs_done} epochs"
            if stopped == "ceiling" and not self.converged(epochs_done):
                reason += (f"; stopped at the ceiling, --epochs {self.epochs}, while still "
                           f"improving: did not converge")
        return {"on": self.on, "mode": self.mode, "epoch": self.epoch, "value": self.value,
                "epochs_done": epochs_done, "stopped_early": self.stopped_early,
                "patience": self.patience, "min_delta": self.min_delta,
                "target": self.target, "reached_target": self.reached_target,
                "epochs": self.epochs, "stopped": stopped,
                "converged": self.converged(epochs_done), "reason": reason}

    def not_converged_note(self, epochs_done):
        """The line that says a run ended at its ceiling while improving and
        which flag to raise; `None` for a run that converged."""
        if self.converged(epochs_done) is not False:
            return None
        epochs = f"{self.epochs} epoch{'s' if self.epochs != 1 else ''}"
        by = f" by more than {self.min_delta:g}" if self.min_delta else ""
        if self.wait == 0:
            how = f"while {self.on} still improved{by} in its last epoch"
        else:
            how = (f"{self.wait} epoch(s) after {self.on} last improved{by}, before "
                   f"--patience {self.patience} epochs without progress would stop it")
        return (f"note: the run did not converge: it reached its ceiling of {epochs} {how} "
                f"(best: epoch {self.epoch}). Raise the ceiling, e.g. --epochs "
                f"{2 * self.epochs}, in a new run folder (--run-dir).")

    def state(self):
        return dataclasses.asdict(self)

    @classmethod
    def from_state(cls, state, on, patience, min_delta=0.0, target=None, epochs=None):
        """The selection saved in a checkpoint, or a new one."""
        settings = {"on": on, "patience": patience, "min_delta": min_delta, "target": target,
                    "epochs": epochs}
        return cls(**{**(state or {}), **settings})
