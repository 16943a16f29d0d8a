"""Forecasting: windows over one numeric column of a CSV file."""

import csv
import math

import numpy as np
import tensorflow as tf

from rnnzoo.checks import check_positive_int
from rnnzoo.data import batching
from rnnzoo.data import files as files_lib
from rnnzoo.data.task_data import TaskData


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def _column_index(path, number, row, column, header):
    if isinstance(column, str):
        if header is None or column not in header:
            names = ", ".join(header or [])
            raise files_lib.DataFileError(
                f"{files_lib.where(path, number)}: no column {column!r} in the "
                f"header ({names})"
            )
        return header.index(column)
    index = int(column)
    if not -len(row) <= index < len(row):
        raise files_lib.DataFileError(
            f"{files_lib.where(path, number)}: expected at least "
            f"{index + 1 if index >= 0 else -index} comma-separated fields, "
            f"found {len(row)}"
        )
    return index % len(row)


def read_series(path, column=-1):
    """The values of one column of a CSV file, as float64.

    The first row is a header when `column` is a name, or when its field in
    that column is not a number. Blank rows are skipped.

    Raises:
        DataFileError: `file:line: ...` for a short row or a field that is
            not a finite number; the file is empty, binary or not UTF-8.
    """
    rows = []
    for number, line in files_lib.read_lines(path):
        if line.strip():
            rows.append((number, next(csv.reader([line]))))
    if not rows:
        raise files_lib.DataFileError(f"{files_lib.where(path)}: the file is empty")
    header = None
    first_number, first = rows[0]
    named = isinstance(column, str)
    if named or not _is_number(first[_column_index(path, first_number, first,
                                                   column, None)]):
        header, rows = [name.strip() for name in first], rows[1:]
    index = None
    values = []
    for number, row in rows:
        if index is None:
            index = _column_index(path, number, row, column, header)
        if len(row) <= index:
            raise files_lib.DataFileError(
                f"{files_lib.where(path, number)}: expected at least "
                f"{index + 1} comma-separated fields, found {len(row)}"
            )
        field = row[index].strip()
        try:
            value = float(field)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            name = header[index] if header else index
            raise files_lib.DataFileError(
                f"{files_lib.where(path, number)}: column {name!r} holds "
                f"{field!r}, not a finite number"
            )
        values.append(value)
    return np.asarray(values, dtype=np.float64)


def windows(values, window, many_to_many):
    """`({"features": (W, 1)}, target)` windows, one per start position.

    Many-to-one: the target is the value after the window, shape `(1,)`.
    Many-to-many: the targets are the window shifted by one step, `(W, 1)`.
    """
    frames = tf.signal.frame(tf.constant(values, tf.float32), window + 1, 1)
    inputs = frames[:, :window, tf.newaxis]
    targets = frames[:, 1:, tf.newaxis] if many_to_many else frames[:, window:]
    return tf.data.Dataset.from_tensor_slices(({"features": inputs}, targets))


def from_csv(path, eval_paths=None, *, column=-1, window=32,
             many_to_many=False, batch_size=32, seed=0, info=None):
    """A forecasting `TaskData` from CSV file(s).

    One file is split in time order 90/5/5 by target: the validation and
    test windows may read the last `window` values before their split, but
    predict only values of their split. Values are normalized with the
    mean and standard deviation of the training values, kept in the result
    (`TaskData.mean`, `TaskData.std`).
    """
    window = check_positive_int(int(window), "window")
    series = {"train": read_series(path, column)}
    if eval_paths is None:
        values = series["train"]
        n = len(values)
        cut1, cut2 = int(n * 0.9), int(n * 0.95)
        series = {
            "train": values[:cut1],
            "validation": values[max(0, cut1 - window):cut2],
            "test": values[max(0, cut2 - window):],
        }
    elif len(eval_paths) == 1:  # The test file; validation: the training tail.
        values = series["train"]
        cut = int(len(values) * 0.95)
        series = {
            "train": values[:cut],
            "validation": values[max(0, cut - window):],
            "test": read_series(eval_paths[0], column),
        }
    else:
        series["validation"] = read_series(eval_paths[0], column)
        series["test"] = read_series(eval_paths[1], column)
    for split, values in series.items():
        if len(values) < window + 1:
            raise files_lib.DataFileError(
                f"{files_lib.where(path)}: the {split} split has {len(values)} "
                f"values, fewer than one window of {window} plus a target; "
                "use a smaller `window` or more rows"
            )
    mean = float(np.mean(series["train"]))
    std = float(np.std(series["train"])) or 1.0
    splits = {
        split: batching.batch_fixed(
            windows((values - mean) / std, window, many_to_many), batch_size,
            shuffle=split == "train", seed=seed,
        )
        for split, values in series.items()
    }
    return TaskData(
        task="forecasting",
        **splits,
        max_length=window,
        mean=mean,
        std=std,
        info=dict(
            info or {}, column=column, window=window,
            many_to_many=bool(many_to_many),
            split_values={k: len(v) for k, v in series.items()},
        ),
    )
