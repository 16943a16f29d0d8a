"""Defaults that fit the user's data: the data-size rule.

A recipe's settings were chosen for its own dataset (25,000 reviews, a
megabyte of Shakespeare, 150,000 sentence pairs). On the user's files
(`--data`) the same model can be too large for the data, its epochs too
few to converge or its batches too big. For those runs, the tables in
`RULES` take the place of some of the recipe's settings, chosen by the
size of the training split:

- the size is what `rnnzoo.data.training_size` counts: examples (lines of
  a TSV, sentence pairs) for classification and seq2seq, characters of the
  training text for a language model (whatever `--tokens` says);
- a task's `Rule` holds bands `(up_to, settings)`, smallest first: the
  first band whose `up_to` is at least the size gives its settings
  (`up_to=None`: any size), with the rule's `every` settings; a setting
  neither names keeps the recipe's value;
- tasks without a rule (tagging, conditional generation, forecasting) keep
  their recipe's settings, except that a recipe that never stops early
  (`patience` 0) stops after `FALLBACK_PATIENCE` epochs without progress;
- `batch_size` is at most the number of training examples;
- with `--init-from` the architecture (`ARCHITECTURE`) is the trained
  model's: the rule leaves it alone;
- a setting given on the command line always wins, and so do `--smoke`'s;
- the recipe's own dataset (no `--data`) keeps the recipe's values
  exactly: the zoo's measured figures stay what they were.

`epochs` is a ceiling: early stopping (`patience`) ends a run, and a run
that reaches the ceiling while still improving says so
(`rnnzoo.train.selection`), so every band sets a patience and a ceiling
well above the epochs it should need. Its `every` settings pick the
`plateau` learning-rate schedule, which lowers the rate when progress
stalls (a cosine schedule decays over the ceiling, which a run that stops
early never reaches), and count an epoch as progress when it improves the
selection metric by more than 0.001.

The values were checked on the four tasks of `benchmarks/user_tasks.py`
(README, "On your own files"), where two of them changed: characters take
less dropout, and small texts short windows and small batches. Change them
here, nothing else holds them. `rnnzoo data check KIND FILE` prints what the rule
picks for a file, and `metrics.json` records it under `run`.
"""

import dataclasses

from rnnzoo.train.recipe import resolve


@dataclasses.dataclass(frozen=True)
class Rule:
    """The settings of one task's runs on user files, by the size of the
    training split (in `unit`s): `bands` of `(up_to, settings)`, smallest
    first; `every` applies to every band; `by_tokens[unit]` over both, for
    files read in that token unit (`--tokens`)."""

    unit: str
    bands: tuple
    every: dict = dataclasses.field(default_factory=dict)
    by_tokens: dict = dataclasses.field(default_factory=dict)


#: Every band of every rule: the plateau schedule, and progress that counts
#: (a seq2seq run at 100 % accuracy still lowered its loss by 1e-6 an epoch,
#: and would have run to its ceiling of 50 epochs).
EVERY_BAND = {"lr_schedule": "plateau", "min_delta": 0.001}

RULES = {
    "classification": Rule(
        unit="examples",
        every=EVERY_BAND,
        # Input dropout of 0.5 on characters kept a typo detector at chance for
        # 7 epochs; 0.1 let it learn from epoch 8. It still improved at a
        # ceiling of 30 and stopped itself at epoch 37 of 60
        # (benchmarks/user_tasks.py, README "On your own files").
        by_tokens={"char": {"dropout": 0.1, "epochs": 60}},
        bands=(
            (1_000, {"units": 32, "dropout": 0.5, "batch_size": 16, "epochs": 60,
                     "patience": 8}),
            (10_000, {"units": 64, "dropout": 0.5, "batch_size": 32, "epochs": 40,
                      "patience": 6}),
            (100_000, {"dropout": 0.5, "batch_size": 64, "epochs": 30, "patience": 5}),
            (None, {"batch_size": 64, "epochs": 20, "patience": 4}),
        ),
    ),
    "language_model": Rule(
        unit="characters",
        every=EVERY_BAND,
        bands=(
            # Short windows and small batches: a small text gives few updates
            # an epoch (237k characters in 200-character windows of 32: 37).
            (300_000, {"units": 256, "dropout": 0.3, "batch_size": 16,
                       "max_input_tokens": 100, "epochs": 60, "patience": 5}),
            (800_000, {"units": 256, "dropout": 0.3, "batch_size": 32, "epochs": 40,
                       "patience": 5}),
            (None, {"dropout": 0.3, "epochs": 30, "patience": 5}),
        ),
    ),
    "seq2seq": Rule(
        unit="examples",
        every=EVERY_BAND,
        bands=(
            (5_000, {"units": 128, "dropout": 0.3, "batch_size": 32, "epochs": 80,
                     "patience": 8}),
            (30_000, {"units": 256, "dropout": 0.2, "batch_size": 64, "epochs": 50,
                      "patience": 6}),
            (None, {"batch_size": 64, "epochs": 40, "patience": 5}),
        ),
    ),
}

#: The patience of a run on user files whose task has no rule and whose
#: recipe never stops early.
FALLBACK_PATIENCE = 5

#: Settings that decide the architecture: with `--init-from`, the trained
#: model's (`rnnzoo.train.init_from.ARCHITECTURE`).
ARCHITECTURE = ("cell", "units", "num_layers")

#: The recipe `rnnzoo data check KIND FILE` shows the settings of, by kind of file.
RECIPE_OF_KIND = {
    "classification": "imdb_sentiment",
    "language_model": "shakespeare_char",
    "seq2seq": "ted_translate",
    "tagging": "conll_ner",
    "conditional_generation": "review_generator",
    "forecasting": "adding_problem",
}

#: The settings `rnnzoo data check` shows, with `epochs` and `patience`.
SHOWN = ("units", "num_layers", "dropout", "batch_size", "max_input_tokens", "lr_schedule",
         "learning_rate")


@dataclasses.dataclass(frozen=True)
class Fit:
    """What the rule chose for a run on user files.

    Attributes:
        task: the recipe's task.
        size, unit: the size of the training split (`None` where the task
            has no rule).
        band: the band, in words ("up to 1,000 examples").
        chosen: the rule's settings for that size.
        applied: those the run uses (the rest were given on the command
            line or by `--smoke`).
    """

    task: str
    size: int | None
    unit: str | None
    band: str
    chosen: dict
    applied: dict

    def record(self):
        """What `metrics.json` says of the rule (under `run`)."""
        return {"training_size": self.size, "unit": self.unit, "band": self.band,
                "chosen": self.chosen, "applied": self.applied}

    def describe(self):
        """One line: the size, the band and the settings the run takes."""
        size = (f"{self.size:,} training {self.unit}, band {self.band}"
                if self.size is not None else self.band)
        values = ", ".join(f"{k} {v}" for k, v in self.applied.items()) or "none"
        return f"settings that fit the data ({size}): {values}"


def band_of(rule, size):
    """`(up_to, settings)` of the band of `rule` that holds `size`."""
    for up_to, settings in rule.bands:
        if up_to is None or size <= up_to:
            return up_to, settings
    raise ValueError(f"No band of the rule holds {size}: the last band needs up_to=None.")


def choose(task, size, recipe_settings, init_from=False, tokens="char"):
    """The rule's settings for a training split of `size` read in `tokens`
    (`recipe_settings`: the run's settings before the rule); returns
    `(band, settings)`."""
    rule = RULES.get(task)
    if rule is None:
        chosen = {"patience": FALLBACK_PATIENCE} if not recipe_settings["patience"] else {}
        return f"no data-size rule for {task}", chosen
    up_to, settings = band_of(rule, size)
    below = max((u for u, _ in rule.bands if u is not None), default=None)
    band = (f"up to {up_to:,} {rule.unit}" if up_to is not None else
            f"over {below:,} {rule.unit}" if below is not None else "any size")
    chosen = {**settings, **{k: v for k, v in rule.every.items() if k not in settings},
              **rule.by_tokens.get(tokens, {})}
    if init_from:
        chosen = {k: v for k, v in chosen.items() if k not in ARCHITECTURE}
    batch_size = chosen.get("batch_size", recipe_settings["batch_size"])
    if rule.unit == "examples" and ("batch_size" in chosen or batch_size > size):
        chosen["batch_size"] = min(batch_size, size)
    return band, chosen


def recipes_of_kind(kind):
    """The recipes that train on user files of `kind`."""
    from rnnzoo.train.recipe import Recipe  # noqa: PLC0415
    from rnnzoo.train.recipe import find_recipe  # noqa: PLC0415
    from rnnzoo.train.recipe import recipe_names  # noqa: PLC0415
    from rnnzoo.train.run_data import FILE_KINDS  # noqa: PLC0415

    recipes = [find_recipe(name) for name in recipe_names()]
    return [r.name for r in recipes
            if isinstance(r, Recipe) and FILE_KINDS.get(r.task, r.task) == kind]


def measure(recipe, settings):
    """`(size, unit)` of the training split of the run's `--data` files, or
    `(None, None)` where the task has no rule."""
    if recipe.task not in RULES:
        return None, None
    from rnnzoo.data import training_size  # noqa: PLC0415 (TensorFlow loads slowly)
    from rnnzoo.train.run_data import eval_paths  # noqa: PLC0415

    return training_size(recipe.task, settings["data"], eval_paths(settings))


def resolve_for_data(recipe, overrides=None):
    """`(settings, fit)`: the run's complete settings and the rule's `Fit`
    on user files; without `--data`, `rnnzoo.train.recipe.resolve`'s
    settings and `None`."""
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    settings = resolve(recipe, overrides)
    if not settings["data"]:
        return settings, None
    size, unit = measure(recipe, settings)
    band, chosen = choose(recipe.task, size, resolve(recipe), bool(settings["init_from"]),
                          settings["tokens"] or "char")
    settings = resolve(recipe, overrides, chosen)
    fixed = set(overrides) | (set(recipe.smoke) if settings["smoke"] else set())
    applied = {k: v for k, v in chosen.items() if k not in fixed}
    return settings, Fit(recipe.task, size, unit, band, chosen, applied)
