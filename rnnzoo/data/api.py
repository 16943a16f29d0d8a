"""`load` and `list_datasets`: every named dataset of rnnzoo."""

from rnnzoo.checks import check_positive_int
from rnnzoo.checks import suggest
from rnnzoo.data import builtin
from rnnzoo.data import catalog
from rnnzoo.data import smoke as smoke_lib
from rnnzoo.errors import UsageError

_ALIASES = {f"rnnzoo_{name}": name for name in builtin.BUILDERS}


def list_datasets():
    """The names `load` accepts: built-in builders and catalog datasets."""
    return sorted(list(builtin.BUILDERS) + list(catalog.CATALOG))


def describe(name):
    """A one-line description of a dataset for listings."""
    name = _ALIASES.get(name, name)
    if name in builtin.BUILDERS:
        tfds_name, _ = builtin.BUILDERS[name]
        task = {"addition": "seq2seq", "adding_problem": "regression",
                "copy_memory": "tagging"}[name]
        return f"{task}; rnnzoo builder {tfds_name}, generated locally"
    entry = catalog.entry_for(name)
    return f"{'/'.join(entry.tasks)}; TFDS catalog {entry.tfds_name}"


def load(name, *, batch_size=32, max_length=None, tokens=None, data_dir=None,
         manual_dir=None, seed=0, smoke=False, **config):
    """Loads a named dataset as batched `tf.data` pipelines in a `TaskData`.

    Built-in (generated locally by rnnzoo's TFDS builders, no download):
    `"addition"` (seq2seq), `"adding_problem"` (regression), `"copy_memory"`
    (tagging). TFDS catalog: `"imdb_reviews"` (classification, or
    `task="conditional_generation"`), `"tiny_shakespeare"` (character
    language model), `"conll2003"` (NER tagging, IOB2 tags),
    `"ted_hrlr_translate/pt_to_en"` (translation).

    Args:
        name: one of `list_datasets()`.
        batch_size: examples per batch.
        max_length: cut token sequences to this length (language model: the
            window length, default 100). `None`: no cut.
        tokens: `"char"` or `"word"` (default: the dataset's own).
        data_dir: TFDS data directory (default: TFDS's).
        manual_dir: TFDS manual directory holding the source file of a
            catalog dataset (e.g. `input.txt` for `tiny_shakespeare`).
        seed: seed of the training shuffle (and of synthetic smoke data).
        smoke: a tiny version in a second or two, no download: the built-in
            builders at 64/16/16 examples (adding problem and copy memory at
            T=10 unless `length` is given), a catalog dataset as a few
            synthetic records with its features.
        **config: builder settings of a built-in dataset (`digits`,
            `reversed`, `length`, `copy_length`, `train_size`,
            `validation_size`, `test_size`, `seed` of the data is
            `data_seed`); for a catalog dataset `task`, `max_tokens`,
            `standardize`.

    Returns:
        A `TaskData`.

    Raises:
        UsageError: unknown name or setting (a `ValueError`).
        DatasetNotAvailableError: a catalog dataset is neither prepared nor
            downloadable (raised within seconds; the message names the files
            and the `rnnzoo data prepare` command).

    Example:

    ```python
    data = rnnzoo.data.load("addition", digits=3, reversed=True)
    inputs, targets = next(iter(data.train))
    inputs["source_ids"], inputs["target_ids"], targets
    ```
    """
    check_positive_int(batch_size, "batch_size")
    name = _ALIASES.get(name, name)
    if name in builtin.BUILDERS:
        if tokens not in (None, "char"):
            raise UsageError(f"{name} has fixed symbols; `tokens` must be None "
                             f"(char); received {tokens!r}.")
        if "data_seed" in config:
            config["seed"] = config.pop("data_seed")
        return builtin.load_builtin(
            name, batch_size=batch_size, max_length=max_length,
            data_dir=data_dir, seed=seed, smoke=smoke, **config,
        )
    if name not in catalog.CATALOG:
        raise UsageError(
            f"Unknown dataset {name!r}.{suggest(name, list_datasets())} "
            f"Known: {', '.join(list_datasets())}."
        )
    unknown = set(config) - {"task", "max_tokens", "standardize"}
    if unknown:
        raise UsageError(
            f"Unknown setting(s) for {name}: {', '.join(sorted(unknown))}."
        )
    options = dict(batch_size=batch_size, max_length=max_length,
                   tokens=tokens, seed=seed, **config)
    if smoke:
        info = {"source": "synthetic smoke records"}
        return catalog.pipeline(name, smoke_lib.records(name, seed),
                                smoke_lib.META[name], info=info, **options)
    return catalog.load_catalog(name, data_dir=data_dir,
                                manual_dir=manual_dir, **options)
