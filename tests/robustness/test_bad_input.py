"""Bad input gets a clear error (exit 2, no traceback) or a documented
result: command lines, data files, untrusted files, hostile serving input."""

import json
import subprocess
import sys

import keras
import numpy as np
import pytest

from rnnzoo import data as rz_data
from rnnzoo import models
from rnnzoo.models import serving

GOOD_TSV = "".join(f"good film {i}\tpos\nbad film {i}\tneg\n" for i in range(30))


def rnnzoo(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "rnnzoo.cli", *args],
        capture_output=True, text=True, timeout=600, cwd=cwd,
    )


def files(tmp_path):
    """A folder of broken data files, by name."""
    made = {
        "good.tsv": GOOD_TSV.encode(),
        "empty.tsv": b"",
        "binary.tsv": b"\x7fELF\x00\x01\x02 binary",
        "latin1.tsv": "caf\u00e9 cr\u00e8me\tpos\n".encode("latin-1"),
        "columns.tsv": (GOOD_TSV + "no label here\n").encode(),
        "eval_only_label.tsv": b"a so-so film\tmeh\n",
        "one_class.tsv": "".join(f"film {i}\tpos\n" for i in range(20)).encode(),
    }
    for name, content in made.items():
        (tmp_path / name).write_bytes(content)
    return tmp_path


TRAIN = ["train", "imdb_sentiment", "--epochs", "1", "--units", "4", "--quiet"]
USAGE_ERRORS = [
    (["train", "addition", "--epoch", "3"], "did you mean --epochs?"),
    (["trian", "addition"], "did you mean 'train'?"),
    (["train", "adition"], "Did you mean 'addition'?"),
    (["train", "addition", "--epochs", "three"], "`epochs` expects int"),
    (["train", "addition", "--epochs", "-1"], "`epochs` must be >= 1"),
    (["train", "addition", "--units", "0"], "`units` must be >= 1"),
    (["train", "addition", "--dropout", "1.5"], "`dropout` must be < 1"),
    (["train", "addition", "--learning-rate", "0"], "`learning_rate` must be > 0"),
    (["train", "addition", "--cell", "lsmt"], "Did you mean 'lstm'?"),
    (["train", "addition", "--tokens", "bytes"], "`tokens` must be one of"),
    (["train", "addition", "--smoke", "--batch-size", "1000"], "larger than the 64 training"),
    (["train", "addition", "--smoke", "--model", "seq2seq_lstm_smal"], "seq2seq_lstm_small"),
    (["train", "addition", "--smoke", "--dataset", "adition"], "Did you mean 'addition'?"),
    (["list", "modles"], "did you mean 'models'?"),
    (["evaluate", "no/such/run"], "not a finished rnnzoo run folder"),
    (["export", "no/such/run"], "not a finished rnnzoo run folder"),
    ([*TRAIN, "--data", "missing.tsv"], "missing.tsv: no such file"),
    ([*TRAIN, "--data", "empty.tsv"], "empty.tsv: the file is empty"),
    ([*TRAIN, "--data", "binary.tsv"], "binary.tsv: looks like a binary file"),
    ([*TRAIN, "--data", "latin1.tsv"], "latin1.tsv:1: not UTF-8 text"),
    ([*TRAIN, "--data", "columns.tsv"], "columns.tsv:61: expected 2 tab-separated fields, found 1"),
    ([*TRAIN, "--data", "good.tsv", "--eval-data", "eval_only_label.tsv"],
     "label(s) ['meh'] do not occur in the training data"),
    ([*TRAIN, "--data", "one_class.tsv", "--batch-size", "4"], "classification needs two classes"),
]


#: A child process that runs each command line of its input through the
#: `rnnzoo` entry point in turn, as `python -m rnnzoo.cli` would, and prints
#: each one's exit status and standard error: one start-up for all of them.
COMMANDS_IN_ONE_PROCESS = """
import contextlib, io, json, os, sys, traceback
from rnnzoo.cli import main
results = []
for args, cwd in json.loads(sys.stdin.read()):
    os.chdir(cwd)
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            status = main(args) or 0
        except SystemExit as stop:
            status = stop.code if isinstance(stop.code, int) else 1
        except BaseException:
            traceback.print_exc()
            status = 1
    results.append({"returncode": status, "stderr": err.getvalue()})
print(json.dumps(results))
"""


@pytest.fixture(scope="module")
def data_folder(tmp_path_factory):
    return files(tmp_path_factory.mktemp("bad_files"))


def command_line(args, data_folder):
    """`(args, cwd)` of a usage error: training ones run in the data folder."""
    if args[0] == "train":
        return [*args, "--output-dir", str(data_folder / "runs")], str(data_folder)
    return list(args), str(data_folder)


@pytest.fixture(scope="module")
def refused(data_folder):
    """`{message: {"returncode", "stderr"}}` of every `USAGE_ERRORS` command."""
    process = subprocess.run(
        [sys.executable, "-c", COMMANDS_IN_ONE_PROCESS],
        input=json.dumps([command_line(args, data_folder) for args, _ in USAGE_ERRORS]),
        capture_output=True, text=True, timeout=600,
    )
    assert process.returncode == 0, process.stderr[-3000:]
    results = json.loads(process.stdout.strip().splitlines()[-1])
    return {message: result for (_, message), result in zip(USAGE_ERRORS, results)}


def assert_one_line_refusal(returncode, stderr, message):
    assert returncode == 2, stderr[-2000:]
    assert message in stderr
    assert "Traceback" not in stderr
    # One line says what is wrong; before it, argparse's usage lines at most.
    lines = stderr.strip().splitlines()
    assert ": error: " in lines[-1], stderr[-2000:]
    assert all(line.startswith(("usage: ", " ")) for line in lines[:-1]), stderr[-2000:]


@pytest.mark.parametrize("args, message", USAGE_ERRORS, ids=[m[:40] for _, m in USAGE_ERRORS])
def test_user_mistakes_exit_2_with_a_message_and_no_traceback(args, message, refused, data_folder):
    assert_one_line_refusal(refused[message]["returncode"], refused[message]["stderr"], message)
    assert not (data_folder / "runs").exists() or not any(
        (data_folder / "runs").iterdir()
    ), "a refused command must not leave a run folder"


def test_a_refusal_in_its_own_process_is_one_line_on_stderr(tmp_path):
    """The whole of standard error, TensorFlow's start-up included, of a
    command that loads TensorFlow before it refuses the data file."""
    bad = files(tmp_path)
    result = rnnzoo(*TRAIN, "--data", "binary.tsv", "--output-dir", str(bad / "runs"), cwd=bad)
    assert_one_line_refusal(result.returncode, result.stderr, "binary.tsv: looks like a binary file")


def test_debug_shows_the_traceback(data_folder):
    result = rnnzoo("--debug", "train", "adition")
    assert result.returncode == 2 and "Traceback" in result.stderr


def test_data_files_errors_name_file_and_line(tmp_path):
    bad = files(tmp_path)
    with pytest.raises(rz_data.DataFileError, match="columns.tsv:61"):
        rz_data.from_files("classification", bad / "columns.tsv")


def test_over_long_examples_are_cut_and_counted(tmp_path):
    text = "".join(f"{'long ' * 40}review {i}\tpos\nshort {i}\tneg\n" for i in range(30))
    (tmp_path / "long.tsv").write_text(text)
    task = rz_data.from_files("classification", tmp_path / "long.tsv", tokens="word", max_length=10)
    counts = task.info["longer_than_max_length"]
    assert sum(counts.values()) == 30
    inputs, _ = next(iter(task.train))
    assert inputs["token_ids"].shape[1] <= 10


def test_keras_files_load_in_safe_mode_only(tmp_path):
    """A .keras file with a Python lambda inside is refused by the loader
    rnnzoo uses, while rnnzoo's own models load."""
    inputs = keras.Input((3,))
    evil = keras.Model(inputs, keras.layers.Lambda(lambda x: x * 2)(inputs))
    path = tmp_path / "evil.keras"
    evil.save(path)
    with pytest.raises(ValueError, match="(?i)unsafe|lambda"):
        keras.saving.load_model(path, safe_mode=True)
    model = models.SequenceTagger(units=4, num_tags=3, vocabulary_size=9)
    model.save(tmp_path / "ok.keras")
    keras.saving.load_model(tmp_path / "ok.keras", safe_mode=True)


HOSTILE = {
    "empty batch": [],
    "empty strings": ["", ""],
    "1 MB string": ["ab" * 500_000],
    "invalid UTF-8": [b"\xff\xfe\x80 abc \xc3\x28".decode("latin-1")],
    "unknown tokens": ["\u2603\u2603 \U0001F600 zzzz"],
    "batch of one": ["abc"],
    "batch of many": ["abc"] * 64,
}


@pytest.fixture(scope="module")
def text_classifier():
    vectorizer = keras.layers.TextVectorization(
        split="character", standardize=None, vocabulary=list("abcdef")
    )
    model = models.SequenceClassifier(
        cell="gru", units=4, num_classes=2, vocabulary_size=vectorizer.vocabulary_size()
    )
    context = serving.ServingContext(
        vectorizers={"tokens": vectorizer}, label_names=["neg", "pos"], max_input_tokens=64
    )
    return model.serving_endpoints(context)[0][1]


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_serving_input_gives_a_result_not_a_crash(case, text_classifier):
    import tensorflow as tf

    texts = HOSTILE[case]
    if case == "invalid UTF-8":
        value = tf.constant([b"\xff\xfe\x80 abc \xc3\x28"])
    else:
        value = tf.constant(texts, dtype=tf.string, shape=(len(texts),))
    outputs = {k: v.numpy() for k, v in text_classifier(value).items()}
    assert outputs["probabilities"].shape == (len(texts), 2)
    assert np.isfinite(outputs["probabilities"]).all()
    np.testing.assert_allclose(outputs["probabilities"].sum(-1), 1.0, rtol=1e-5)
    assert set(outputs["labels"].tolist()) <= {b"neg", b"pos"}


def test_out_of_range_ids_map_to_the_unknown_token(tmp_path):
    import tensorflow as tf

    model = models.SequenceTagger(units=4, num_tags=3, vocabulary_size=9)
    fn = model.serving_endpoints(serving.ServingContext())[0][1]
    wild = tf.constant([[3, 99, -5, 0]], tf.int32)
    safe = tf.constant([[3, 1, 1, 0]], tf.int32)
    np.testing.assert_array_equal(fn(wild)["outputs"].numpy(), fn(safe)["outputs"].numpy())
