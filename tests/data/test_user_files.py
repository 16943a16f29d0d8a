"""`from_files`: every format of the user's own files, and every malformed case."""

import keras
import numpy as np
import pytest

from rnnzoo import cli
from rnnzoo import data


def _write(folder, name, content):
    path = folder / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def _decode(task, ids, key="tokens"):
    vocabulary = task.vectorizers[key].get_vocabulary()
    return "".join(vocabulary[i] for i in ids if i != 0)


def test_classification_tsv_exact_ids_padding_and_mask(tmp_path):
    train = _write(tmp_path, "train.tsv",
                   "good film\tpos\nBad film!\tneg\n\ngood good plot\tpos\n")
    evaluation = _write(tmp_path, "eval.tsv", "good plot film\tpos\nbad\tneg\n")
    task = data.from_files("classification", train, [evaluation, evaluation], tokens="word",
                           batch_size=2)
    assert task.task == "classification"
    # By count, ties in reverse order of the token (Keras's rule).
    assert task.vectorizers["tokens"].get_vocabulary() == [
        "", "[UNK]", "good", "film", "plot", "bad",
    ]
    assert task.label_names == ["neg", "pos"] and task.num_classes == 2
    assert task.vectorizers["labels"](["pos", "neg"]).numpy().tolist() == [1, 0]
    [(inputs, labels)] = list(task.validation)
    ids = inputs["token_ids"]
    assert ids.numpy().tolist() == [[2, 4, 3], [5, 0, 0]]
    assert labels.numpy().tolist() == [1, 0]
    mask = keras.layers.Embedding(6, 2, mask_zero=True).compute_mask(ids)
    assert np.asarray(mask).tolist() == [[True, True, True], [True, False, False]]
    assert task.info["split_sizes"] == {"train": 3, "validation": 2, "test": 2}


def test_classification_single_file_seeded_split(tmp_path):
    lines = "".join(f"text number {i}\t{'ab'[i % 2]}\n" for i in range(40))
    path = _write(tmp_path, "data.tsv", lines)
    first = data.from_files("classification", path, seed=3)
    again = data.from_files("classification", path, seed=3)
    other = data.from_files("classification", path, seed=4)
    assert first.info["split_sizes"] == {"train": 36, "validation": 2, "test": 2}

    def test_ids(task):
        return [row.tolist() for x, _ in task.test for row in x["token_ids"].numpy()]

    assert test_ids(first) == test_ids(again)
    assert test_ids(first) != test_ids(other)
    assert first.info["tokens"] == "char"


def test_char_language_model_windows(tmp_path):
    path = _write(tmp_path, "text.txt", "abcdefghij" * 30)
    task = data.from_files("language_model", path, max_length=4, batch_size=8)
    assert task.task == "language_model" and task.max_length == 4
    assert task.info["split_characters"] == {"train": 270, "validation": 15,
                                             "test": 15}
    [(inputs, targets)] = list(task.validation)
    # "abcdefghijabcde": windows of 5 every 4 characters.
    assert [_decode(task, row) for row in inputs["token_ids"].numpy()] == [
        "abcd", "efgh", "ijab"]
    assert [_decode(task, row) for row in targets.numpy()] == [
        "bcde", "fghi", "jabc"]
    assert task.vocabulary_size == 12


def test_word_language_model(tmp_path):
    path = _write(tmp_path, "text.txt", "the cat sat on the mat\n" * 40)
    task = data.from_files("language_model", path, tokens="word", max_length=5)
    inputs, targets = next(iter(task.test))
    assert inputs["token_ids"].shape[1] == 5
    np.testing.assert_array_equal(inputs["token_ids"][:, 1:], targets[:, :-1])
    assert "\n" not in task.vectorizers["tokens"].get_vocabulary()


def test_seq2seq_tsv(tmp_path):
    path = _write(tmp_path, "pairs.tsv", "Go.\tVa !\nHi.\tSalut.\n")
    task = data.from_files("seq2seq", path, [path, path], batch_size=2)
    assert task.task == "seq2seq" and task.start_id == 2 and task.end_id == 3
    [(inputs, targets)] = list(task.test)
    source = task.vectorizers["source"].get_vocabulary()
    assert ["".join(source[i] for i in row if i) for row in
            inputs["source_ids"].numpy()] == ["Go.", "Hi."]
    assert inputs["target_ids"].shape == targets.shape == (2, 7)
    target = task.vectorizers["target"].get_vocabulary()
    assert [target[i] for i in targets.numpy()[0] if i] == list("Va !") + ["[END]"]
    assert [target[i] for i in inputs["target_ids"].numpy()[1]] == (
        ["[START]"] + list("Salut."))


def test_conditional_generation_tsv(tmp_path):
    path = _write(tmp_path, "gen.tsv", "a fine day\tpos\na bad day\tneg\n")
    task = data.from_files("conditional_generation", path, [path, path], tokens="word",
                           batch_size=2)
    [(inputs, targets)] = list(task.test)
    assert inputs["condition"].numpy().tolist() == [1, 0]
    vocabulary = task.vectorizers["tokens"].get_vocabulary()
    assert [vocabulary[i] for i in inputs["target_ids"].numpy()[0]] == [
        "[START]", "a", "fine", "day"]
    assert [vocabulary[i] for i in targets.numpy()[1]] == [
        "a", "bad", "day", "[END]"]


def test_conll_tagging_with_a_chosen_column(tmp_path):
    text = ("-DOCSTART- -X- O\n\nJohn NNP B-PER\nlives VBZ O\n\n"
            "Paris NNP B-LOC\n\n\nin IN O\nRome NNP B-LOC\nnow RB O\n")
    path = _write(tmp_path, "train.conll", text)
    ner = data.from_files("tagging", path, path, batch_size=8)
    assert ner.label_names == ["O", "B-LOC", "B-PER"]
    [(inputs, tags)] = list(ner.test)
    assert data.tags_from_ids(tags, inputs["token_ids"], ner.label_names) == [
        ["B-PER", "O"], ["B-LOC"], ["O", "B-LOC", "O"]]
    assert tags.numpy().tolist() == [[2, 0, 0], [1, 0, 0], [0, 1, 0]]
    pos = data.from_files("tagging", path, path, tag_column=1, batch_size=8)
    assert pos.label_names == ["IN", "NNP", "RB", "VBZ"]


def test_forecasting_csv_many_to_one(tmp_path):
    rows = "date,value\n" + "".join(f"d{i},{i}\n" for i in range(1, 101))
    path = _write(tmp_path, "series.csv", rows)
    task = data.from_files("forecasting", path, column="value", window=3,
                           batch_size=4)
    values = np.arange(1, 91, dtype=np.float64)
    assert task.mean == pytest.approx(values.mean())
    assert task.std == pytest.approx(values.std())
    inputs, targets = next(iter(task.validation))
    assert inputs["features"].shape == (4, 3, 1) and targets.shape == (4, 1)
    raw = inputs["features"].numpy()[0, :, 0] * task.std + task.mean
    np.testing.assert_allclose(raw, [88, 89, 90], rtol=1e-5)
    assert targets.numpy()[0, 0] * task.std + task.mean == pytest.approx(91, rel=1e-5)
    assert task.info["split_values"] == {"train": 90, "validation": 8, "test": 8}
    assert sum(int(t.shape[0]) for _, t in task.test) == 5  # values 96..100


def test_forecasting_csv_many_to_many_by_index(tmp_path):
    path = _write(tmp_path, "series.csv", "".join(f"{i},{i * 2}\n" for i in range(60)))
    task = data.from_files("forecasting", path, column=1, window=4,
                           many_to_many=True, batch_size=2)
    inputs, targets = next(iter(task.test))
    assert targets.shape == (2, 4, 1)
    np.testing.assert_allclose(inputs["features"][:, 1:], targets[:, :-1])


def test_eval_files_validation_and_test(tmp_path):
    train = _write(tmp_path, "train.tsv", "a\tx\nb\ty\n")
    val = _write(tmp_path, "val.tsv", "a\tx\n")
    test = _write(tmp_path, "test.tsv", "b\ty\nab\tx\n")
    task = data.from_files("classification", train, [val, test])
    assert task.info["split_sizes"] == {"train": 2, "validation": 1, "test": 2}
    with pytest.raises(ValueError, match="one file"):
        data.from_files("classification", train, [val, val, val])


MALFORMED = [
    ("classification", "data.tsv", "good\tpos\nbad movie\n",
     r"data\.tsv:2: expected 2 tab-separated fields, found 1$"),
    ("seq2seq", "data.tsv", "a\tb\tc\n", r"data\.tsv:1: expected 2 tab-separated fields, found 3$"),
    ("classification", "data.tsv", "good\t \n", r"data\.tsv:1: field 2 is empty$"),
    ("tagging", "ner.conll", "John B-PER\nlives VBZ O\n",
     r"ner\.conll:2: expected 2 whitespace-separated columns, found 3$"),
    ("forecasting", "s.csv", "value\n1\n2\nabc\n",
     r"s\.csv:4: column 'value' holds 'abc', not a finite number$"),
    ("forecasting", "s.csv", "1,2\n3\n", r"s\.csv:2: expected at least 2 comma-separated fields, found 1$"),
    ("forecasting", "s.csv", "1,2\n3,nan\n", r"s\.csv:2: column 1 holds 'nan', not a finite number$"),
    ("language_model", "empty.txt", "", r"empty\.txt: the file is empty$"),
    ("classification", "blank.tsv", " \n\n\t\n", r"blank\.tsv: the file is empty$"),
    ("language_model", "model.bin", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
     r"model\.bin: looks like a binary file \(a NUL byte at offset 8\); expected UTF-8 text$"),
    ("classification", "latin1.tsv", "caf\u00e9\tx\n".encode("utf-8") + "na\u00efve\ty\n".encode("latin-1"),
     r"latin1\.tsv:2: not UTF-8 text \(byte 0xef at column 3\)"),
]


@pytest.mark.parametrize("kind,name,content,message", MALFORMED,
                         ids=[m[3][:30] for m in MALFORMED])
def test_malformed_files_name_file_and_line(tmp_path, kind, name, content, message):
    path = _write(tmp_path, name, content)
    with pytest.raises(data.DataFileError, match=message) as caught:
        data.from_files(kind, path, path, column="value" if "value" in message else -1)
    assert str(caught.value).startswith(str(path))
    assert isinstance(caught.value, ValueError)


def test_other_file_errors(tmp_path):
    with pytest.raises(data.DataFileError, match="no such file"):
        data.from_files("language_model", tmp_path / "missing.txt")
    few = _write(tmp_path, "few.tsv", "a\tx\nb\ty\n")
    with pytest.raises(data.DataFileError, match="at least 3"):
        data.from_files("classification", few)
    short = _write(tmp_path, "short.txt", "abc")
    with pytest.raises(ValueError, match="fewer than one window"):
        data.from_files("language_model", short, short, max_length=10)
    series = _write(tmp_path, "s.csv", "x\n1\n2\n3\n")
    with pytest.raises(data.DataFileError, match="fewer than one window"):
        data.from_files("forecasting", series, window=5)
    with pytest.raises(data.DataFileError, match="no column 'y'"):
        data.from_files("forecasting", series, column="y")
    conll = _write(tmp_path, "a.conll", "John B-PER\n")
    with pytest.raises(data.DataFileError, match="no tag column 2"):
        data.from_files("tagging", conll, conll, tag_column=2)
    with pytest.raises(ValueError, match="Unknown kind 'csv'"):
        data.from_files("csv", series)
    with pytest.raises(ValueError, match="tokens"):
        data.from_files("seq2seq", few, few, tokens="byte")


def test_cli_check(tmp_path, capsys):
    good = _write(tmp_path, "data.tsv", "a\tx\nb\ty\n" * 20)
    assert cli.main(["data", "check", "classification", str(good)]) == 0
    assert "label_names: ['x', 'y']" in capsys.readouterr().out
    bad = _write(tmp_path, "bad.tsv", "a\tx\nb\n")
    with pytest.raises(SystemExit) as stop:
        cli.main(["data", "check", "classification", str(bad)])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "bad.tsv:2: expected 2 tab-separated fields, found 1" in err
    assert "Traceback" not in err


def test_a_seq2seq_file_checked_as_classification_gets_a_short_error(tmp_path, capsys):
    pairs = _write(tmp_path, "pairs.tsv", "".join(
        f"sentence {i}\tphrase numéro {i}\n" for i in range(200)))
    with pytest.raises(SystemExit) as stop:
        cli.main(["data", "check", "classification", str(pairs)])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert len(err) < 1000, err
    assert ", ...] (180 in all)" in err  # The training labels, capped.
    assert "it looks like a seq2seq file (source<TAB>target), not classification" in err
    assert f"rnnzoo data check seq2seq {pairs}" in err


def test_few_labels_are_listed_whole_and_get_no_hint(tmp_path):
    train = _write(tmp_path, "train.tsv", "a\tx\nb\ty\n" * 20)
    test = _write(tmp_path, "test.tsv", "a\tx\nb\tz\n")
    with pytest.raises(data.DataFileError) as error:
        data.from_files("classification", train, test)
    assert "label(s) ['z'] do not occur in the training data (labels there: ['x', 'y'])" in str(
        error.value)
    assert "seq2seq" not in str(error.value)


@pytest.mark.parametrize("kind, text, eval_text", [
    ("classification", "text {i}\t{label}\n", None),
    ("seq2seq", "text {i}\tsortie {i}\n", "a\tb\n"),
    ("language_model", "some words {i}.\n", None),
    ("language_model", "some words {i}.\n", "other words.\n" * 9),
])
def test_training_size_is_the_training_split_from_files_makes(tmp_path, kind, text, eval_text):
    path = _write(tmp_path, "train.txt", "".join(
        text.format(i=i, label="xy"[i % 2]) for i in range(60)))
    evaluation = _write(tmp_path, "eval.txt", eval_text) if eval_text else None
    task = data.from_files(kind, path, evaluation, max_length=8)
    size, unit = data.training_size(kind, path, evaluation)
    key = "split_characters" if kind == "language_model" else "split_sizes"
    assert size == task.info[key]["train"]
    assert unit == ("characters" if kind == "language_model" else "examples")
