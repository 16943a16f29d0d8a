"""`from_files`: the user's own files as the same pipelines as the catalog."""

import os

import numpy as np
import tensorflow as tf

from rnnzoo.data import files as files_lib
from rnnzoo.data import forecasting as forecasting_lib
from rnnzoo.data import language_model as lm_lib
from rnnzoo.data import tagging as tagging_lib
from rnnzoo.data import text_tasks
from rnnzoo.data import vectorize

KINDS = {
    "language_model": "plain UTF-8 text",
    "classification": "TSV: text<TAB>label",
    "conditional_generation": "TSV: text<TAB>label",
    "seq2seq": "TSV: source<TAB>target",
    "tagging": "CoNLL columns: token first, a tag column, blank line "
               "between sentences",
    "forecasting": "CSV with a numeric column",
}
FRACTIONS = (0.9, 0.05, 0.05)


def _eval_paths(eval_path):
    """`[test]` for one evaluation file, `[validation, test]` for two."""
    if eval_path is None:
        return None
    if isinstance(eval_path, (str, os.PathLike)):
        return [eval_path]
    paths = list(eval_path)
    if len(paths) not in (1, 2):
        raise ValueError(
            "`eval_path` takes one file (the test split) or two "
            f"(validation, test); got {len(paths)}."
        )
    return paths


def validation_slice(records, seed):
    """Splits training records into train and a seeded 5 % validation
    slice (at least one record each)."""
    if len(records) < 2:
        raise files_lib.DataFileError(
            f"Found {len(records)} training example(s); at least 2 are needed "
            "to hold out a validation slice (or pass validation,test files)."
        )
    order = np.random.default_rng(seed).permutation(len(records))
    n_val = min(max(1, int(round(len(records) * FRACTIONS[1]))), len(records) - 1)
    picked = [records[i] for i in order]
    return picked[n_val:], picked[:n_val]


def shuffled_split(records, seed):
    """Splits records 90/5/5 after a seeded shuffle (at least 1 each)."""
    if len(records) < 3:
        raise files_lib.DataFileError(
            f"Found {len(records)} example(s); a single file needs at least "
            "3 to split into train, validation and test (or pass eval files)."
        )
    order = np.random.default_rng(seed).permutation(len(records))
    n_val = max(1, int(round(len(records) * FRACTIONS[1])))
    n_test = max(1, int(round(len(records) * FRACTIONS[2])))
    n_train = len(records) - n_val - n_test
    picked = [records[i] for i in order]
    return {
        "train": picked[:n_train],
        "validation": picked[n_train:n_train + n_val],
        "test": picked[n_train + n_val:],
    }


def text_split(text):
    """Splits one text 90/5/5 in order, as TFDS's `tiny_shakespeare` does."""
    i = int(len(text) * FRACTIONS[0])
    train, rest = text[:i], text[i:]
    j = int(len(rest) * 0.5)
    return {"train": train, "validation": rest[:j], "test": rest[j:]}


def read_tsv(path):
    """`(text, text)` pairs of a two-column TSV file; blank lines skipped."""
    pairs = []
    for number, line in files_lib.read_lines(path):
        if not line.strip():
            continue
        first, second = files_lib.fields(path, number, line, 2)
        pairs.append((first, second.strip()))
    if not pairs:
        raise files_lib.DataFileError(f"{files_lib.where(path)}: no examples")
    return pairs


def read_conll(path, tag_column=-1):
    """`(tokens, tags)` sentences of a CoNLL file.

    Columns are separated by whitespace; the token is the first, the tag
    the `tag_column`-th (default: the last). Every line of the file must
    have as many columns as the first. Blank lines separate sentences;
    `-DOCSTART-` lines are skipped.
    """
    sentences, tokens, tags, width = [], [], [], None
    for number, line in files_lib.read_lines(path) + [(None, "")]:
        columns = line.split()
        if not columns or columns[0] == "-DOCSTART-":
            if tokens:
                sentences.append((tokens, tags))
            tokens, tags = [], []
            continue
        width = width or len(columns)
        if len(columns) != width:
            raise files_lib.DataFileError(
                f"{files_lib.where(path, number)}: expected {width} "
                f"whitespace-separated columns, found {len(columns)}"
            )
        if not -width <= tag_column < width or tag_column in (0, -width):
            raise files_lib.DataFileError(
                f"{files_lib.where(path, number)}: no tag column {tag_column} "
                f"in {width} columns (the token is column 0)"
            )
        tokens.append(columns[0])
        tags.append(columns[tag_column])
    if not sentences:
        raise files_lib.DataFileError(f"{files_lib.where(path)}: no sentences")
    return sentences


def _pairs_dataset(pairs, ragged=False):
    first = [a for a, _ in pairs]
    second = [b for _, b in pairs]
    if ragged:
        return tf.data.Dataset.from_tensor_slices(
            (tf.ragged.constant(first, tf.string),
             tf.ragged.constant(second, tf.string))
        ).map(lambda a, b: (_dense(a), _dense(b)))
    return tf.data.Dataset.from_tensor_slices((first, second))


def _dense(tensor):
    if isinstance(tensor, tf.RaggedTensor):
        return tensor.to_tensor()
    return tensor


def _records(kind, paths, eval_paths, seed, tag_column):
    read = {
        "tagging": lambda p: read_conll(p, tag_column),
    }.get(kind, read_tsv)
    if eval_paths is None:
        return shuffled_split(read(paths), seed)
    if len(eval_paths) == 1:
        train, validation = validation_slice(read(paths), seed)
        return {"train": train, "validation": validation, "test": read(eval_paths[0])}
    return {
        "train": read(paths),
        "validation": read(eval_paths[0]),
        "test": read(eval_paths[1]),
    }


def _texts(path, eval_paths):
    """The train, validation and test texts of a language model's files."""
    if eval_paths is None:
        return text_split(files_lib.read_text(path))
    if len(eval_paths) == 1:
        text = files_lib.read_text(path)
        cut = int(len(text) * (1 - FRACTIONS[1]))
        return {"train": text[:cut], "validation": text[cut:],
                "test": files_lib.read_text(eval_paths[0])}
    return {"train": files_lib.read_text(path),
            "validation": files_lib.read_text(eval_paths[0]),
            "test": files_lib.read_text(eval_paths[1])}


def training_size(kind, path, eval_path=None, *, tag_column=-1):
    """`(size, unit)` of the training split `from_files` makes of these
    files, without vectorizing them: `"characters"` of a language model's
    text, `"examples"` (lines, pairs, sentences) of the other text kinds;
    `None` for `forecasting`. Raises what `from_files` raises for a
    malformed file."""
    if kind not in KINDS:
        raise ValueError(f"Unknown kind {kind!r}; expected one of: {', '.join(KINDS)}.")
    eval_paths = _eval_paths(eval_path)
    if kind == "forecasting":
        return None
    if kind == "language_model":
        return len(_texts(path, eval_paths)["train"]), "characters"
    return len(_records(kind, path, eval_paths, 0, tag_column)["train"]), "examples"


def _splits_info(path, eval_paths, kind=None):
    """Where each split of a run on user files comes from, in words."""
    if eval_paths is None and kind in ("language_model", "forecasting"):
        return {"validation": f"the 5 % of {os.fspath(path)} after its first 90 %",
                "test": f"the last 5 % of {os.fspath(path)}"}
    if eval_paths is None:
        return {"validation": f"a seeded 5 % of {os.fspath(path)}",
                "test": f"another 5 % of {os.fspath(path)}"}
    if len(eval_paths) == 1:
        return {"validation": f"a seeded 5 % slice of {os.fspath(path)} (not the eval file)",
                "test": os.fspath(eval_paths[0])}
    return {"validation": os.fspath(eval_paths[0]), "test": os.fspath(eval_paths[1])}


def from_files(kind, path, eval_path=None, *, tokens="char", column=-1,
               window=32, many_to_many=False, tag_column=-1, batch_size=32,
               max_length=None, max_tokens=None, standardize=None, seed=0,
               vectorizers=None):
    """Loads the user's own files as a `TaskData`.

    One file is split into train/validation/test 90/5/5: in order for a
    text or a series (`language_model`, `forecasting`), after a shuffle
    seeded with `seed` for line or sentence examples. With one `eval_path`,
    that file is the test split and the validation split is a slice of the
    training file (the last 5 % of a text or series, a seeded 5 % of
    examples): the test data never selects anything. With two,
    `(validation, test)`.

    Args:
        kind: the task, which sets the format: `"language_model"` (plain
            UTF-8 text), `"classification"` and `"conditional_generation"`
            (TSV `text<TAB>label`), `"seq2seq"` (TSV `source<TAB>target`),
            `"tagging"` (CoNLL columns), `"forecasting"` (CSV).
        path: the (training) file.
        eval_path: optional evaluation file(s).
        tokens: `"char"` (default) or `"word"` for text.
        column: `forecasting`: the CSV column, a header name or an index
            (default: the last).
        window: `forecasting`: input window length.
        many_to_many: `forecasting`: predict every next value of the window
            (targets `(B, T, 1)`) instead of the one after it (`(B, 1)`).
        tag_column: `tagging`: the tag column (default: the last).
        batch_size, max_length, max_tokens, standardize, seed: as for
            `rnnzoo.data.load`.
        vectorizers: optional fixed text vectorizers (`"tokens"`, or
            `"source"` and `"target"`): a trained model's vocabulary, for
            fine-tuning; tokens it lacks map to the out-of-vocabulary id.

    Returns:
        A `TaskData` (see its docstring for the batch structure).

    Raises:
        DataFileError: (a `ValueError`) a file is missing, empty, binary,
            not UTF-8, or has a malformed line (`data.tsv:17: expected 2
            tab-separated fields, found 1`).
    """
    if kind not in KINDS:
        kinds = "; ".join(f"{k} ({v})" for k, v in KINDS.items())
        raise ValueError(f"Unknown kind {kind!r}; expected one of: {kinds}.")
    eval_paths = _eval_paths(eval_path)
    info = {"name": os.fspath(path), "source": "user files", "kind": kind,
            "files": [os.fspath(path)] + [os.fspath(p) for p in eval_paths or []],
            **_splits_info(path, eval_paths, kind)}
    common = dict(batch_size=batch_size, max_length=max_length, seed=seed)
    if kind == "forecasting":
        return forecasting_lib.from_csv(
            path, eval_paths, column=column, window=window,
            many_to_many=many_to_many, batch_size=batch_size, seed=seed,
            info=info,
        )
    vectorize.check_tokens(tokens)
    if kind == "language_model":
        texts = _texts(path, eval_paths)
        if eval_paths is not None and len(eval_paths) == 1:
            info["validation"] = f"the last 5 % of {os.fspath(path)} (not the eval file)"
        info["split_characters"] = {k: len(v) for k, v in texts.items()}
        return lm_lib.language_model(
            texts, tokens=tokens, max_tokens=max_tokens,
            standardize=standardize, info=info, vectorizers=vectorizers, **common,
        )
    records = _records(kind, path, eval_paths, seed, tag_column)
    info["split_sizes"] = {k: len(v) for k, v in records.items()}
    if kind == "tagging":
        tag_names = tagging_lib.order_tags(
            tag for split in records.values() for _, tags in split for tag in tags
        )
        raw = {k: _pairs_dataset(v, ragged=True) for k, v in records.items()}
        return tagging_lib.tagging(
            raw, tag_names=tag_names, max_tokens=max_tokens, info=info,
            **common,
        )
    info["longer_than_max_length"] = _count_long(records, tokens, max_length)
    raw = {k: _pairs_dataset(v) for k, v in records.items()}
    options = dict(tokens=tokens, max_tokens=max_tokens, standardize=standardize,
                   info=info, vectorizers=vectorizers, **common)
    if kind == "seq2seq":
        return text_tasks.seq2seq(raw, **options)
    label_names = _check_labels(kind, records, path, eval_paths)
    build = (text_tasks.classification if kind == "classification"
             else text_tasks.conditional_generation)
    return build(raw, label_names=label_names, string_labels=True, **options)


def _count_long(records, tokens, max_length):
    """Examples per split whose text has more than `max_length` tokens (they
    are cut to `max_length`)."""
    if max_length is None:
        return {}

    def size(text):
        return len(text) if tokens == "char" else len(text.split())

    return {
        split: sum(1 for pair in pairs if size(pair[0]) > max_length)
        for split, pairs in records.items()
    }


def _check_labels(kind, records, path, eval_paths):
    """The label names; refuses labels the training data never shows (the
    model could not learn them) and, for classification, a single class."""
    seen = sorted({label for _, label in records["train"]})
    for split in ("validation", "test"):
        unseen = sorted({label for _, label in records[split]} - set(seen))
        if unseen:
            if eval_paths and (split == "test" or len(eval_paths) == 2):
                where = os.fspath(eval_paths[-1] if split == "test" else eval_paths[0])
            else:
                where = f"{os.fspath(path)} ({split} split)"
            raise files_lib.DataFileError(
                f"{where}: label(s) {files_lib.preview(unseen)} do not occur in the training "
                f"data (labels there: {files_lib.preview(seen)}); a model cannot learn "
                f"them{_text_labels_hint(kind, records['train'], seen, path)}"
            )
    if kind == "classification" and len(seen) < 2:
        raise files_lib.DataFileError(
            f"{os.fspath(path)}: every training example has the label "
            f"{seen[0] if seen else None!r}; classification needs two classes or more"
        )
    return seen


#: More distinct labels than this, with fewer than `TEXT_LABELS_PER_LABEL`
#: training examples each on average, look like text, not labels.
TEXT_LABELS = 50
TEXT_LABELS_PER_LABEL = 2


def _text_labels_hint(kind, train, seen, path):
    """What a file whose second column looks like text rather than labels
    (a seq2seq file read as `text<TAB>label`) probably is, or `""`."""
    if len(seen) <= TEXT_LABELS or len(train) >= TEXT_LABELS_PER_LABEL * len(seen):
        return ""
    return (f". Its second column has {len(seen):,} distinct values in {len(train):,} "
            f"training examples: it looks like a seq2seq file (source<TAB>target), not "
            f"{kind} (text<TAB>label); check it with `rnnzoo data check seq2seq {os.fspath(path)}`")
