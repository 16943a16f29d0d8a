"""The `rnnzoo` command: quiet by default, exit status 2 and one line for a
user mistake, 1 with a logged traceback for an internal error, per-recipe
help, and `predict`'s input formats."""

import json
import logging
import os
import subprocess
import sys
import tempfile

import pytest

from rnnzoo import cli

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: What TensorFlow, absl and TFDS print at start-up or while loading data.
NOISE = ("InitializeLog", "oneDNN", "cudart", "cuInit", "cpu_feature_guard", "I0000",
         "E0000", "W0000", "absl", "Using custom data configuration", "Traceback")


def rnnzoo(*args, stdin=None, timeout=300):
    return subprocess.run([sys.executable, "-m", "rnnzoo.cli", *args], input=stdin,
                          capture_output=True, text=True, timeout=timeout, cwd=ROOT)


def assert_quiet(*texts):
    for text in texts:
        found = [word for word in NOISE if word in text]
        assert not found, f"noise {found} in:\n{text[-3000:]}"


def one_error_line(stderr, status="error"):
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"rnnzoo: {status}: "), stderr[-3000:]
    return lines[0]


@pytest.fixture
def in_process(monkeypatch):
    """`cli.main` run in this process: its quiet start changes no state
    that outlives the test."""
    import absl.logging

    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", os.environ.get("TF_CPP_MIN_LOG_LEVEL", "0"))
    monkeypatch.setenv("TQDM_DISABLE", os.environ.get("TQDM_DISABLE", "0"))
    verbosity = absl.logging.get_verbosity()
    level = logging.getLogger("tensorflow").level
    yield
    absl.logging.set_verbosity(verbosity)
    logging.getLogger("tensorflow").setLevel(level)


def run_main(capsys, *args):
    """`(exit status, stdout, stderr)` of `rnnzoo ARGS` run in this process."""
    try:
        status = cli.main(list(args))
    except SystemExit as stop:
        status = stop.code
    out, err = capsys.readouterr()
    return status, out, err


# Quiet by default, and fast help.


def test_help_is_quiet():
    result = rnnzoo("--help")
    assert result.returncode == 0 and "train" in result.stdout
    assert result.stderr == ""
    assert_quiet(result.stdout)


ANSWERED_AT_ONCE = [  # (arguments, exit status): help, listings and usage errors.
    (["--help"], 0), (["train", "--help"], 0), (["train", "addition", "--help"], 0),
    (["train", "long_range", "--help"], 0), (["list", "recipes"], 0), (["zoo"], 0),
    (["trian"], 2), (["train", "imbd"], 2), (["train", "addition", "--epoch", "3"], 2),
    (["train", "addition", "--epochs", "x"], 2), (["train", "addition", "--cell", "lstn"], 2),
    (["predict"], 2), (["list"], 2), (["predict", "no_such_model", "x"], 2),
]


def test_help_listings_and_usage_errors_do_not_import_tensorflow():
    script = f"""
import json, sys
from rnnzoo.cli import main
statuses = []
for argv in {[argv for argv, _ in ANSWERED_AT_ONCE]!r}:
    try:
        statuses.append(main(argv))
    except SystemExit as stop:
        statuses.append(stop.code)
print(json.dumps([statuses, sorted(m for m in sys.modules if m.split(".")[0] in
                                   ("tensorflow", "keras", "tensorflow_datasets"))]))
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=120, cwd=ROOT)
    statuses, heavy = json.loads(result.stdout.strip().splitlines()[-1])
    assert statuses == [status for _, status in ANSWERED_AT_ONCE], result.stderr[-3000:]
    assert heavy == []


def test_train_help_shows_the_recipe_values():
    addition = rnnzoo("train", "addition", "--help")
    assert addition.returncode == 0 and addition.stderr == ""
    text = " ".join(addition.stdout.split())
    assert "most training epochs: a ceiling;" in text
    assert "while still improving says so (recipe addition: 30)" in text
    assert "With --data, settings you do not give fit the size of your files" in text
    assert "global batch size (recipe addition: 128)" in text
    assert "a seeded 5% slice" in text  # `%%` in a setting's help.
    assert "--smoke sets epochs=1, batch_size=16, units=16" in text
    imdb = " ".join(rnnzoo("train", "imdb_sentiment", "--help").stdout.split())
    assert "(recipe imdb_sentiment: imdb_reviews)" in imdb and "addition: 30" not in imdb
    for flag in ("--cells", "--lengths", "--length ", "--forecast-steps", "--beam-width"):
        assert flag not in imdb  # Settings that do not apply to a classifier.
    script = subprocess.run([sys.executable, "-m", "rnnzoo.recipes.addition", "--help"],
                            capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert "says so (recipe addition: 30)" in " ".join(script.stdout.split())
    generic = " ".join(rnnzoo("train", "--help").stdout.split())
    assert "improving says so (default: 10)" in generic


def test_generate_flags_have_help(capsys):
    import re

    with pytest.raises(SystemExit):
        cli.main(["generate", "--help"])
    text = capsys.readouterr().out
    for flag in ("--prompt", "--condition", "--max-new-tokens", "--temperature", "--top-k",
                 "--seed"):  # The flag, its metavar, then words (not the next flag).
        assert re.search(rf"\n  {flag}( [A-Z_]+)?\s+[a-z]", text), (flag, text)


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    """`rnnzoo train addition --smoke` in a new process, its output to a
    pipe: (result, run dir)."""
    base = tmp_path_factory.mktemp("cli")
    result = rnnzoo("train", "addition", "--smoke", "--output-dir",
                    str(base / "runs"), "--data-dir", str(base / "data"))
    return result, base / "runs" / "addition"


def test_training_is_quiet(smoke_run):
    result, run_dir = smoke_run
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stderr == ""
    assert_quiet(result.stdout)
    assert "test exact_match:" in result.stdout and (run_dir / "model.keras").exists()
    # Not a terminal: one line per epoch, no progress bar's control characters.
    assert not set("\x1b\r\b") & set(result.stdout), repr(result.stdout[-500:])


# User mistakes and internal errors.


def test_user_mistakes_exit_2_with_one_line():
    result = rnnzoo("train", "adition", "--epochs", "3")
    assert result.returncode == 2
    assert one_error_line(result.stderr) == (
        "rnnzoo: error: Unknown recipe 'adition'. Did you mean 'addition'? "
        "`rnnzoo list recipes` lists them.")
    result = rnnzoo("train", "addition", "--max-length", "5")
    assert result.returncode == 2
    assert "--max-length was renamed: use --max-input-tokens" in one_error_line(result.stderr)


def test_data_list_points_to_list_datasets(tmp_path):
    result = rnnzoo("data", "list")
    assert result.returncode == 2
    assert one_error_line(result.stderr) == (
        "rnnzoo: error: `rnnzoo data list` was removed: use `rnnzoo list datasets`.")
    listing = rnnzoo("list", "datasets")
    assert listing.returncode == 0 and listing.stderr == ""
    lines = listing.stdout.splitlines()
    assert any(line.startswith("addition ") and "rnnzoo_addition" in line for line in lines)
    assert any(line.startswith("tiny_shakespeare ") and "TFDS catalog" in line for line in lines)


def test_data_check_errors_take_the_one_path(tmp_path, capsys, in_process):
    (tmp_path / "bad.tsv").write_text("a\tx\nb\n")
    status, _, err = run_main(capsys, "data", "check", "classification",
                              str(tmp_path / "bad.tsv"))
    assert status == 2
    assert one_error_line(err).endswith("bad.tsv:2: expected 2 tab-separated fields, found 1")
    status, _, err = run_main(capsys, "data", "check", "csv", str(tmp_path / "bad.tsv"))
    assert status == 2 and "Unknown kind 'csv'" in one_error_line(err)


def test_internal_error_exits_1_logs_the_traceback_and_asks_for_a_report(
        tmp_path, capsys, monkeypatch, in_process):
    import rnnzoo.train.commands

    def broken(run_dir):
        raise TypeError("unsupported operand")

    monkeypatch.setattr(rnnzoo.train.commands, "evaluate_run", broken)
    status, _, err = run_main(capsys, "evaluate", str(tmp_path))
    assert status == 1
    lines = err.strip().splitlines()
    log = tmp_path / "log.txt"
    assert lines == [
        "rnnzoo: internal error: TypeError: unsupported operand",
        "rnnzoo: this is a bug in rnnzoo, not a mistake in the command: please report "
        f"it with the traceback written to {log}",
    ]
    text = log.read_text()
    assert f"internal error in: rnnzoo evaluate {tmp_path}" in text
    assert "Traceback" in text and "in broken" in text and "TypeError: unsupported" in text
    # No run folder: a file in the temporary folder.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    status, _, err = run_main(capsys, "evaluate", str(tmp_path / "gone"))
    [path] = list((tmp_path / "tmp").glob("rnnzoo-error-*.log"))
    assert status == 1 and err.strip().endswith(str(path))
    assert "TypeError: unsupported operand" in path.read_text()


@pytest.mark.parametrize("error, status, message", [
    (KeyboardInterrupt(), 130, ""),
    (FloatingPointError("The loss became NaN in epoch 2."), 1,
     "rnnzoo: error: The loss became NaN in epoch 2."),
    (ValueError("an internal ValueError"), 1,
     "rnnzoo: internal error: ValueError: an internal ValueError"),
])
def test_interrupts_nan_and_internal_value_errors(error, status, message, tmp_path, capsys,
                                                  monkeypatch, in_process):
    import rnnzoo.train.commands

    def broken(run_dir):
        raise error

    monkeypatch.setattr(rnnzoo.train.commands, "evaluate_run", broken)
    code, _, err = run_main(capsys, "evaluate", str(tmp_path))
    assert code == status
    assert (err.strip().splitlines() or [""])[0] == message
    assert (tmp_path / "log.txt").exists() == (status == 1 and "internal" in message)


# predict.


def saved_model(base, name, input_name, dtype, shape, refuse_empty=False):
    """A SavedModel `base/name/1` with one input, as an export has; with
    `refuse_empty`, it refuses a batch holding an empty text, as an export
    refuses text outside its form."""
    import tensorflow as tf

    spec = tf.TensorSpec(shape, dtype, name=input_name)
    if dtype == tf.string:
        def serve(x):
            if refuse_empty:
                check = tf.debugging.Assert(tf.reduce_all(tf.strings.length(x) > 0),
                                            ["Input `text` must not be empty"])
                with tf.control_dependencies([check]):
                    x = tf.identity(x)
            return {"length": tf.strings.length(x, unit="UTF8_CHAR"), "echo": x}
    else:
        def serve(x):
            return {"total": tf.reduce_sum(tf.reshape(x, (tf.shape(x)[0], -1)), axis=-1)}
    module = tf.Module()
    module.serve = tf.function(serve, input_signature=[spec])
    path = base / name
    tf.saved_model.save(module, str(path / "1"),
                        signatures={"serving_default": module.serve})
    return path


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    import tensorflow as tf

    base = tmp_path_factory.mktemp("saved_models")
    saved_model(base, "texts", "text", tf.string, (None,))
    saved_model(base, "values", "values", tf.float32, (None, None))
    saved_model(base, "checked", "text", tf.string, (None,), refuse_empty=True)
    (base / "empty").mkdir()
    return base


def predict(capsys, monkeypatch, model_dir, lines=None, *inputs):
    import io

    if lines is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO("".join(f"{line}\n" for line in lines)))
    return run_main(capsys, "predict", str(model_dir), *inputs)


def test_predict_reads_json_strings_lists_and_objects(exports, capsys, monkeypatch, in_process):
    status, out, err = predict(capsys, monkeypatch, exports / "texts",
                               ['"héllo"', "", '{"text": "ab"}'])
    assert status == 0, err
    assert out.splitlines() == [  # Keys in order: the same line for the same answer.
        '{"echo": "héllo", "length": 5}', '{"echo": "ab", "length": 2}']
    status, out, err = predict(capsys, monkeypatch, exports / "values",
                               ["[1, 2, 3.5]", '{"values": [1, 1, 1]}', "[1, 2]"])
    assert status == 0, err  # Instances of different shapes: one call each shape.
    assert [json.loads(line)["total"] for line in out.splitlines()] == [6.5, 3.0, 3.0]
    status, out, _ = predict(capsys, monkeypatch, exports / "texts", None, "abc", "de")
    assert status == 0 and [json.loads(line)["length"] for line in out.splitlines()] == [3, 2]


@pytest.mark.parametrize("model, lines, answered, message", [
    ("texts", ['"ok"', "hello world"], ["ok"],
     "stdin line 2: not JSON (Expecting value); each line must be one JSON value: a JSON "
     'string ("123+45"), a list of numbers ([0.5, 1.0]), or an object naming the input '
     '({"text": "..."}).'),
    ("texts", ['"ok"', "", '{"txt": "1+1"}'], ["ok"],
     "stdin line 3: the model has no input 'txt'; its inputs: text."),
    ("texts", ["[1, 2]"], [], "stdin line 1: the input 'text' takes a string; received [1, 2]."),
    ("texts", ["7"], [], "stdin line 1: expected a JSON string"),
    ("values", ['"abc"'], [], "stdin line 1: the input 'values' takes numbers"),
    ("values", ["[[1, 2], [3]]"], [], "stdin line 1: the input 'values' takes a list of numbers"),
    ("values", ["[[1, 2], [3, 4]]"], [],
     "stdin line 1: the input 'values' takes an array of shape N per instance; "
     "received shape [2, 2]."),
    ("checked", ['"ok"', '""', '"fine"'], ["ok", "fine"],
     "stdin line 2: {dir} refused the input: Input `text` must not be empty"),
])
def test_predict_a_bad_stdin_line_is_reported_and_the_others_answered(
        model, lines, answered, message, exports, capsys, monkeypatch, in_process):
    status, out, err = predict(capsys, monkeypatch, exports / model, lines)
    assert status == 2
    assert [json.loads(line)["echo"] for line in out.splitlines()] == answered
    message = message.replace("{dir}", str(exports / model))
    assert one_error_line(err).startswith(f"rnnzoo: error: {message}")


def test_predict_reports_each_bad_line_in_order_and_arguments_together(
        exports, capsys, monkeypatch, in_process):
    status, out, err = predict(capsys, monkeypatch, exports / "checked",
                               ['"a"', "{", '"b"', '""', '"c"'])
    assert status == 2
    assert [json.loads(line)["echo"] for line in out.splitlines()] == ["a", "b", "c"]
    assert [line.split(": ")[:3] for line in err.splitlines()] == [
        ["rnnzoo", "error", "stdin line 2"], ["rnnzoo", "error", "stdin line 4"]]
    # Arguments are one request: refused together, nothing answered.
    status, out, err = predict(capsys, monkeypatch, exports / "checked", None, "a", "")
    assert status == 2 and out == ""
    assert one_error_line(err) == (f"rnnzoo: error: {exports / 'checked'} refused the "
                                   "input: Input `text` must not be empty")


def test_predict_tells_a_typing_user_where_it_reads(exports, capsys, monkeypatch, in_process):
    import io

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setattr(sys, "stdin", Terminal('"ab"\n\n"xyz"\n'))
    status, out, err = run_main(capsys, "predict", str(exports / "texts"))
    assert status == 0
    assert err.splitlines() == [
        'rnnzoo: reading inputs from standard input, one per line (a JSON value: "text", '
        '[numbers] or {"input": ...}); Ctrl-D ends']
    assert [json.loads(line)["length"] for line in out.splitlines()] == [2, 3]
    monkeypatch.setattr(sys, "stdin", io.StringIO('"ab"\n'))  # A pipe: no hint.
    status, out, err = run_main(capsys, "predict", str(exports / "texts"))
    assert status == 0 and err == "" and len(out.splitlines()) == 1


def test_predict_points_to_export(exports, tmp_path, capsys, monkeypatch, in_process):
    status, _, err = predict(capsys, monkeypatch, exports / "empty", ['"x"'])
    assert status == 2
    assert one_error_line(err) == (
        f"rnnzoo: error: {exports / 'empty'} holds no numbered version folder; "
        f"`rnnzoo export RUN_DIR --name empty --base-dir {exports}` writes one.")
    status, _, err = predict(capsys, monkeypatch, exports / "texts" / "1", ['"x"'])
    assert status == 2 and "is a version folder" in one_error_line(err)
    status, _, err = predict(capsys, monkeypatch, exports / "texts", ['"x"'], "--version", "7")
    assert status == 2 and "has no version 7; its versions: 1." in one_error_line(err)


def test_export_and_predict_a_trained_run(smoke_run, tmp_path, capsys, monkeypatch,
                                          in_process):
    _, run_dir = smoke_run
    status, out, err = run_main(capsys, "export", str(run_dir), "--base-dir",
                                str(tmp_path), "--name", "adder")
    assert status == 0, err
    status, out, err = predict(capsys, monkeypatch, tmp_path / "adder",
                               ['"12+3"', '{"text": "9+9"}'])
    assert status == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 2 and all(isinstance(row["translation"], str) for row in rows)


def test_generate_without_condition_lists_the_labels(tmp_path, capsys, in_process):
    status, _, err = run_main(capsys, "train", "review_generator", "--smoke", "--quiet",
                              "--output-dir", str(tmp_path), "--data-dir", str(tmp_path))
    assert status == 0, err
    run_dir = str(tmp_path / "review_generator")
    status, _, err = run_main(capsys, "generate", run_dir, "--max-new-tokens", "3")
    assert status == 2
    assert one_error_line(err) == ("rnnzoo: error: This run's model writes for a class "
                                   "label: pass --condition LABEL, one of neg, pos.")
    status, out, err = run_main(capsys, "generate", run_dir, "--condition", "pos",
                                "--max-new-tokens", "3")
    assert status == 0 and len(out.splitlines()) == 1, err
