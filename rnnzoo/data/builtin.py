"""The rnnzoo TFDS builders as task pipelines.

- `addition` -> `seq2seq` over characters. Source ids: 0 padding, 1 OOV,
  `"0"`-`"9"` -> 2-11, `"+"` -> 12. Target ids: 0 padding, 1 OOV,
  `[START]` 2, `[END]` 3, `"0"`-`"9"` -> 4-13. The question is as the
  builder stores it (reversed only in the `*_reversed` configs, never
  space-padded); batches are right-padded with 0. Its info holds the
  form of the questions (`input_form`) and a `domain`, which exports serve
  by (`addition_domain`).
- `adding_problem` -> `regression`: `features` (B, T, 2) = (value, marker),
  target (B, 1) the sum of the two marked values.
- `copy_memory` -> `tagging` (language-model-like, one target per step):
  `token_ids` (B, T + 2n) and targets (B, T + 2n), the paper's categories
  shifted by 2: symbols 0-7 -> ids 2-9, blank -> 10, delimiter -> 11. The
  targets are the blank (10) except the last n steps, which hold the string.
"""

import contextlib
import fcntl
import math
import os

import keras
import tensorflow as tf
import tensorflow_datasets as tfds

from rnnzoo.data import batching
from rnnzoo.data import text_tasks
from rnnzoo.data import vectorize
from rnnzoo.data.builders import AddingProblemConfig
from rnnzoo.data.builders import AdditionConfig
from rnnzoo.data.builders import CopyMemoryConfig
from rnnzoo.data.builders import copy_memory as copy_memory_lib
from rnnzoo.data.task_data import TaskData

BUILDERS = {
    "addition": ("rnnzoo_addition", AdditionConfig),
    "adding_problem": ("rnnzoo_adding_problem", AddingProblemConfig),
    "copy_memory": ("rnnzoo_copy_memory", CopyMemoryConfig),
}
SMOKE_SIZES = {"train_size": 64, "validation_size": 16, "test_size": 16}
COPY_SYMBOLS = [str(i) for i in range(copy_memory_lib.NUM_SYMBOLS)] + ["-", ":"]
COPY_SHIFT = 2


def builder_for(name, *, data_dir=None, smoke=False, **config):
    """The TFDS builder of a built-in dataset, for the given config values.

    A predefined config (`d3`, `t100`, ...) is used by name when the values
    match it; otherwise a custom config named after its values.
    """
    tfds_name, config_cls = BUILDERS[name]
    if smoke:
        config = {**SMOKE_SIZES, **config}
        if name != "addition":
            config.setdefault("length", 10)
    try:
        made = config_cls.make(**config)
    except TypeError as error:
        raise ValueError(f"Bad settings for {name}: {error}") from None
    cls = tfds.builder_cls(tfds_name)
    predefined = cls.builder_configs.get(made.name)
    return tfds.builder(
        tfds_name, config=predefined or made, data_dir=data_dir
    )


@contextlib.contextmanager
def preparing(builder):
    """Holds an exclusive lock on the preparation of `builder`'s dataset:
    processes that need it at once wait for the first one to write it."""
    root = os.fspath(builder.data_dir_root)
    os.makedirs(root, exist_ok=True)
    name = f".{builder.name}-{builder.builder_config.name}.lock"
    with open(os.path.join(root, name), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def load_builtin(name, *, batch_size=32, max_length=None, data_dir=None,
                 seed=0, smoke=False, **config):
    """Generates (once) and loads a built-in dataset as a `TaskData`."""
    builder = builder_for(name, data_dir=data_dir, smoke=smoke, **config)
    if not builder.is_prepared():
        with preparing(builder):  # Runs in parallel (a sweep) generate it once.
            builder = builder_for(name, data_dir=data_dir, smoke=smoke, **config)
            builder.download_and_prepare(
                download_config=tfds.download.DownloadConfig(try_download_gcs=False)
            )
    records = {s: builder.as_dataset(split=s) for s in ("train", "validation", "test")}
    info = {
        "name": name,
        "source": "rnnzoo builder",
        "tfds_name": f"{builder.name}/{builder.builder_config.name}",
        "config": builder.builder_config.name,
        "split_sizes": {s: builder.info.splits[s].num_examples for s in records},
        "data_dir": str(builder.data_dir_root),
    }
    make = {"addition": _addition, "adding_problem": _adding_problem,
            "copy_memory": _copy_memory}[name]
    return make(records, builder.builder_config, batch_size=batch_size,
                max_length=max_length, seed=seed, info=info)


def _addition(records, config, *, batch_size, max_length, seed, info):
    vectorizers = {
        "source": vectorize.fixed_text_vectorizer(
            list("0123456789+"), name="source"
        ),
        "target": vectorize.fixed_text_vectorizer(
            list("0123456789"), reserved=vectorize.DECODER_TOKENS,
            name="target",
        ),
    }
    raw = {s: ds.map(lambda ex: (ex["question"], ex["answer"]))
           for s, ds in records.items()}
    info = dict(info, digits=config.digits, reversed=config.reversed,
                **addition_domain(config.digits))
    task_data = text_tasks.seq2seq(
        raw, tokens="char", batch_size=batch_size, max_length=max_length,
        seed=seed, info=info, vectorizers=vectorizers,
    )
    task_data.reverse_source = bool(config.reversed)
    return task_data


def domain_facts(name, **config):
    """The facts of a built-in dataset's info that serving reads (`domain`,
    `input_form`), from its config values (a card's `dataset_config`):
    `{}` for a dataset without them."""
    if name == "addition":
        return addition_domain(int(config.get("digits", AdditionConfig.digits)))
    return {}


def addition_domain(digits):
    """What the `addition` data are and the form of their questions, for
    serving (`info["domain"]`, `info["input_form"]`, an
    `rnnzoo.models.serving.InputForm` config): the questions hold exactly
    two numbers of 1 to `digits` digits without leading zeros and a `+`
    (never a space), so served text is read the same way and anything else
    refused."""
    words = _NUMBER_WORDS.get(digits, str(digits))
    digits_in_words = "one digit" if digits == 1 else f"one to {words} digits"
    example = "123456789"[:digits] + "+" + "456789"[:max(1, digits - 1)]
    return {
        "domain": (f"sums of two whole numbers from 0 to {10**digits - 1}, written as "
                   f"{example} (rnnzoo's built-in addition data)"),
        "input_form": {
            "normalize": ["remove_whitespace", "strip_leading_zeros"],
            "pattern": f"[0-9]{{1,{digits}}}\\+[0-9]{{1,{digits}}}",
            "description": f"{digits_in_words}, '+', {digits_in_words}",
            "example": example,
        },
    }


_NUMBER_WORDS = dict(enumerate(
    "zero one two three four five six seven eight nine".split()))


def _adding_problem(records, config, *, batch_size, max_length, seed, info):
    del max_length  # every sequence has the config's length
    splits = {
        s: batching.batch_fixed(
            ds.map(lambda ex: ({"features": ex["features"]},
                               tf.reshape(ex["target"], [1]))),
            batch_size, shuffle=s == "train", seed=seed,
        )
        for s, ds in records.items()
    }
    info = dict(info, length=config.length, baseline_mse=1 / 6)
    return TaskData(task="regression", **splits, max_length=config.length,
                    info=info)


def _copy_memory(records, config, *, batch_size, max_length, seed, info):
    del max_length  # every sequence has the config's length
    splits = {
        s: batching.batch_fixed(
            ds.map(lambda ex: ({"token_ids": ex["inputs"] + COPY_SHIFT},
                               ex["targets"] + COPY_SHIFT)),
            batch_size, shuffle=s == "train", seed=seed,
        )
        for s, ds in records.items()
    }
    n, t = config.copy_length, config.length
    lookup = keras.layers.StringLookup(
        vocabulary=COPY_SYMBOLS, mask_token="", name="tokens"
    )
    names = vectorize.vocabulary(lookup)
    info = dict(
        info, length=t, copy_length=n,
        # Cross-entropy per step of blanks, then uniform guesses.
        baseline_loss=n * math.log(copy_memory_lib.NUM_SYMBOLS) / (t + 2 * n),
    )
    return TaskData(
        task="tagging", **splits, vectorizers={"tokens": lookup},
        vocabulary_size=len(names), num_tags=len(names), label_names=names,
        max_length=t + 2 * n, info=info,
    )
