"""Which epoch a run keeps: the best on a validation metric, and when to
stop early."""

import dataclasses


def mode_of(metric):
    """`"min"` for losses and errors, `"max"` for the rest (accuracy...)."""
    lower = metric.lower()
    return "min" if any(k in lower for k in ("loss", "entropy", "error", "mae", "mse")) else "max"


def check_select_on(metric, available):
    """Returns `metric` if it is one of the validation metrics `available`."""
    if metric not in available:
        from rnnzoo.recipe import suggest

        raise ValueError(
            f"Setting `select_on` must name a validation metric of this run: "
            f"one of {sorted(available)}; received {metric!r}.{suggest(metric, available)}"
        )
    return metric


@dataclasses.dataclass
class Selection:
    """The best epoch so far on `on` (a validation metric), and the epochs
    since it (`wait`); with `patience > 0`, training stops once `wait`
    reaches it."""

    on: str = "val_loss"
    patience: int = 0
    epoch: int | None = None
    value: float | None = None
    wait: int = 0
    stopped_early: bool = False

    @property
    def mode(self):
        return mode_of(self.on)

    def update(self, epoch, logs):
        """Records epoch `epoch` (1-based) with its `logs`; returns whether
        it is the new best."""
        value = float(logs[self.on])
        better = self.value is None or (
            value < self.value if self.mode == "min" else value > self.value
        )
        if better:
            self.epoch, self.value, self.wait = epoch, value, 0
        else:
            self.wait += 1
        self.stopped_early = bool(self.patience) and self.wait >= self.patience
        return better

    def report(self, epochs_done):
        """What `metrics.json` says of the selection."""
        if self.stopped_early:
            reason = (f"best {self.on} ({self.mode}); stopped early after {self.wait} "
                      f"epochs without improvement (patience {self.patience})")
        else:
            reason = f"best {self.on} ({self.mode}) of {epochs_done} epochs"
        return {"on": self.on, "mode": self.mode, "epoch": self.epoch, "value": self.value,
                "epochs_done": epochs_done, "stopped_early": self.stopped_early,
                "patience": self.patience, "reason": reason}

    def state(self):
        return dataclasses.asdict(self)

    @classmethod
    def from_state(cls, state, on, patience):
        """The selection saved in a checkpoint, or a new one."""
        if not state:
            return cls(on=on, patience=patience)
        return cls(**{**state, "on": on, "patience": patience})
