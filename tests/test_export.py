"""Every recipe smoke-trained, and its export served by plain TensorFlow
exactly as the Keras model computes."""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from rnnzoo.models import serving
from rnnzoo.train.commands import generate_text
from rnnzoo.export.saved_model import export_run
from rnnzoo.train.recipe import find_recipe
from rnnzoo.train.recipe import recipe_names
from rnnzoo.train.run_folder import RunFolder
from rnnzoo.train.engine import run
from tests.plain_serving import BLOCK_RNNZOO
from tests.plain_serving import serve_in_subprocess

pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="export is TensorFlow"
)

TEXTS = ["12+34", "", "John lives in Paris", "x" * 5000, "caf\u00e9 \u2603 \U0001F600", "zzzqqq unknownword"]
# The addition export refuses text outside its data's form
# (tests/test_input_domain.py): questions as a user may write them.
QUESTIONS = ["12+34", " 1 + 2 ", "007+3", "999+999", "0+0"]
FEATURES = np.random.default_rng(0).uniform(size=(3, 7, 2)).tolist()
SERIES = "value\n" + "".join(f"{np.sin(i / 5):.4f}\n" for i in range(400))
COPY = ["1 2 3 4 5 6 7 0 1 2 - - - - : - - - - - - - - - -", "", "9 x :"]

# Every recipe (and a forecaster: the regression recipe on a CSV series),
# its served inputs, and the signatures README "Export and serving" gives
# its task: {endpoint: (inputs, outputs)}.
SAMPLING = ["max_new_tokens", "seed", "temperature", "top_k"]
LANGUAGE_MODEL = {"serving_default": (["text"], ["text", "tokens"]),
                  "sample": (["text", *SAMPLING], ["text", "tokens"]),
                  "score": (["text"], ["correct", "log_likelihood", "token_count"])}
SEQ2SEQ = {"serving_default": (["text"], ["scores", "tokens", "translation"]),
           "score": (["target", "text"], ["correct", "log_likelihood", "token_count"])}
CASES = {
    "addition": ({}, QUESTIONS, SEQ2SEQ),
    "ted_translate": ({}, TEXTS, SEQ2SEQ),
    "imdb_sentiment": ({}, TEXTS, {
        "serving_default": (["text"], ["class_ids", "labels", "probabilities"]),
        "logits": (["text"], ["logits"])}),
    "conll_ner": ({}, TEXTS, {"serving_default": (["text"], ["tag_ids", "tags"])}),
    "copy_memory": ({}, COPY, {"serving_default": (["text"], ["tag_ids", "tags"])}),
    "shakespeare_char": ({}, TEXTS, LANGUAGE_MODEL),
    "shakespeare_feedback": ({}, TEXTS, LANGUAGE_MODEL),
    "review_generator": ({}, ["pos", "neg"], {
        "serving_default": (["condition"], ["text", "tokens"]),
        "sample": (["condition", *SAMPLING], ["text", "tokens"]),
        "score": (["condition", "text"], ["correct", "log_likelihood", "token_count"])}),
    "adding_problem": ({}, FEATURES, {"serving_default": (["features"], ["predictions"])}),
    "forecasting": ({"data": "series.csv", "batch_size": 16}, np.sin(
        np.arange(40) / 5).reshape(2, 20, 1).tolist(),
        {"serving_default": (["values"], ["predictions"])}),
}
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: The shipped models (`saved_models/NAME/VERSION/`).
ZOO = sorted(name for name in os.listdir(os.path.join(ROOT, "saved_models"))
             if os.path.isdir(os.path.join(ROOT, "saved_models", name)))
TASKS = {"addition": "seq2seq", "ted_translate": "seq2seq", "imdb_sentiment": "classification",
         "conll_ner": "tagging", "copy_memory": "tagging", "shakespeare_char": "language_model",
         "shakespeare_feedback": "language_model", "review_generator": "conditional_generation",
         "adding_problem": "regression", "forecasting": "forecasting"}

@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    """Smoke-trained run folders of every recipe, exported."""
    base = tmp_path_factory.mktemp("export")
    (base / "series.csv").write_text(SERIES)
    data_dir = str(base / "tfds")
    made = {}
    for case, (settings, _, _) in CASES.items():
        recipe = "adding_problem" if case == "forecasting" else case
        settings = {k: str(base / v) if k == "data" else v for k, v in settings.items()}
        result = run(
            find_recipe(recipe),
            {"smoke": True, "run_dir": str(base / "runs" / case), "data_dir": data_dir,
             "max_new_tokens": 12, **settings},
            verbose=0,
        )
        made[case] = (result.run_dir, export_run(
            result.run_dir, name=case, base_dir=str(base / "saved")))
    return made


#: Further requests served with the cases': `{name: (case, feed)}`.
EXTRA_FEEDS = {"reviews": ("imdb_sentiment", ["a great film", "awful"]),
               "question": ("addition", ["123+45"])}


@pytest.fixture(scope="module")
def served(exports):
    """What the exports' `serving_default` answer to each case's feed and to
    `EXTRA_FEEDS`, served in one process."""
    requests = {case: (path, CASES[case][1]) for case, (_, path) in exports.items()}
    requests.update({name: (exports[case][1], feed)
                     for name, (case, feed) in EXTRA_FEEDS.items()})
    return serve_in_subprocess(requests)


def local_outputs(run_dir, feed):
    """The serving function run eagerly on the Keras model of a run."""
    import tensorflow as tf

    folder = RunFolder(run_dir)
    _, fn, signature = folder.load_model().serving_endpoints(folder.serving_context())[0]
    outputs = fn(tf.constant(feed, dtype=signature[0].dtype))
    return {k: v.numpy() for k, v in outputs.items()}


def signatures(path):
    """`{endpoint: (sorted input names, sorted output names)}` of an export."""
    import tensorflow as tf

    loaded = tf.saved_model.load(path)
    return {
        name: (sorted(fn.structured_input_signature[1]), sorted(fn.structured_outputs))
        for name, fn in loaded.signatures.items()
    }


def test_the_cases_cover_every_recipe_but_the_sweep():
    assert set(recipe_names()) - {"long_range"} <= set(CASES)


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_recipe_smoke_run_leaves_a_complete_run_folder(case, exports):
    run_dir = exports[case][0]
    assert {"config.json", "metrics.json", "model.keras", "checkpoints", "logs"} <= set(
        os.listdir(run_dir))
    metrics = json.load(open(os.path.join(run_dir, "metrics.json")))
    assert np.isfinite(metrics["test"]["loss"])
    assert len(metrics["history"]["loss"]) == metrics["epochs_done"]
    recipe = find_recipe("adding_problem" if case == "forecasting" else case)
    for metric in recipe.metrics:
        assert ("sample" if metric == "samples" else metric) in metrics["test"]


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_recipe_exports_its_tasks_signature(case, exports):
    run_dir, path = exports[case]
    _, _, expected = CASES[case]
    assert {k: tuple(v) for k, v in signatures(path).items()} == {
        k: (sorted(i), sorted(o)) for k, (i, o) in expected.items()}
    info = json.load(open(os.path.join(path, "assets", "rnnzoo.json")))
    assert info["task"] == TASKS[case] == RunFolder(run_dir).config()["task"]
    assert "loss" in info["test_metrics"] and info["selection"]["epoch"] == 1


@pytest.mark.parametrize("case", sorted(CASES))
def test_export_serves_without_rnnzoo_like_the_keras_model(case, exports, served):
    run_dir, _ = exports[case]
    served = served[case]
    local = local_outputs(run_dir, CASES[case][1])
    assert set(served) == set(local)
    for key, value in local.items():
        assert tuple(served[key]["shape"]) == value.shape, key
        if value.dtype == object:
            assert served[key]["value"] == [v.decode("utf-8", "replace") for v in value.ravel()], key
        elif value.dtype.kind == "f":
            np.testing.assert_allclose(served[key]["value"], value, atol=1e-5, err_msg=key)
        else:
            np.testing.assert_array_equal(served[key]["value"], value, err_msg=key)
    assert len(next(iter(served.values()))["shape"]) >= 1


def test_classifier_outputs_are_the_models_probabilities(exports, served):
    run_dir, path = exports["imdb_sentiment"]
    folder = RunFolder(run_dir)
    model, vectorizers = folder.load_model(), folder.vectorizers()
    texts = EXTRA_FEEDS["reviews"][1]
    ids = serving.text_to_ids(vectorizers["tokens"], np.array(texts), 200).numpy()
    probabilities = keras.ops.softmax(model.predict(ids, verbose=0)).numpy()
    served = served["reviews"]
    np.testing.assert_allclose(served["probabilities"]["value"], probabilities, atol=1e-5)
    names = folder.config()["data"]["label_names"]
    assert served["labels"]["value"] == [names[i] for i in probabilities.argmax(-1)]


def test_addition_reads_the_question_as_the_user_writes_it(exports, served):
    """The model trained on reversed questions; the export reverses them."""
    run_dir, path = exports["addition"]
    folder = RunFolder(run_dir)
    model, vectorizers = folder.load_model(), folder.vectorizers()
    reversed_ids = serving.text_to_ids(vectorizers["source"], np.array(["54+321"]), 500)
    tokens, _ = model.generate(reversed_ids.numpy(), max_length=12)
    served = served["question"]
    np.testing.assert_array_equal(served["tokens"]["value"], tokens)
    generated = generate_text(run_dir, prompts=["123+45"])
    assert generated == [served["translation"]["value"][0]]


def test_served_text_has_no_special_tokens(served):
    for case in ("addition", "ted_translate", "review_generator", "shakespeare_char"):
        key = "translation" if "translation" in served[case] else "text"
        for text in served[case][key]["value"]:
            assert not any(t in text for t in ("[START]", "[END]", "[UNK]")), (case, text)


def test_an_unknown_condition_is_an_error_not_a_guess(exports):
    _, path = exports["review_generator"]
    process = subprocess.run(
        [sys.executable, "-c", BLOCK_RNNZOO],
        input=json.dumps({"one": (path, ["pos", "unknown-label"])}),
        capture_output=True, text=True, timeout=300,
    )
    assert process.returncode != 0
    assert "must be one of: neg, pos. Unknown:" in process.stderr and "unknown-label" in process.stderr


def test_saved_model_cli_lists_the_named_signature(exports):
    _, path = exports["addition"]
    cli = os.path.join(os.path.dirname(sys.executable), "saved_model_cli")
    out = subprocess.run(
        [cli, "show", "--dir", path, "--all"], capture_output=True, text=True, timeout=120
    ).stdout
    section = out.split("signature_def['serving_default']")[1]
    for name in ("inputs['text']", "outputs['translation']", "outputs['tokens']", "outputs['scores']"):
        assert name in section.split("signature_def[")[0]


#: Lines a user may send to any export that it must refuse: a wrong input
#: name, and nesting no signature takes.
BAD_FOR_EVERY_TASK = ['{"no_such_input": "x"}', '[[[["too", "deep"]]]]']
#: Lines only some tasks refuse: `{task or zoo name: lines}`.
BAD_FOR_SOME = {
    "addition": ['"abc"', '"1000+1"'],
    "review_generator": ['"unknown-label"'],
    "mr_generator": ['"neutral"'],
    "adding_problem": ['"some text"'],
    "forecasting": ['"some text"'],
}


def refusals(path, lines, capsys, monkeypatch):
    """`(status, stdout, stderr lines)` of `rnnzoo predict PATH` given
    `lines` on stdin, run in this process."""
    import io

    from rnnzoo import cli

    monkeypatch.setattr(sys, "stdin", io.StringIO("".join(f"{line}\n" for line in lines)))
    try:
        status = cli.main(["predict", str(path)])
    except SystemExit as stop:
        status = stop.code
    out, err = capsys.readouterr()
    return status, out, err.strip().splitlines()


@pytest.mark.parametrize("case", sorted(CASES) + ["zoo:" + name for name in ZOO])
def test_every_bad_input_of_every_task_is_exit_2_with_one_line_each(
        case, exports, capsys, monkeypatch):
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", os.environ.get("TF_CPP_MIN_LOG_LEVEL", "0"))
    name = case.removeprefix("zoo:")
    path = (os.path.join(ROOT, "saved_models", name) if case.startswith("zoo:")
            else os.path.dirname(exports[case][1]))  # The model folder, not the version.
    lines = BAD_FOR_EVERY_TASK + BAD_FOR_SOME.get(name, [])
    status, out, err = refusals(path, lines, capsys, monkeypatch)
    assert status == 2 and out == ""
    assert len(err) == len(lines), err
    for number, line in enumerate(err, 1):
        assert line.startswith(f"rnnzoo: error: stdin line {number}: "), line
        assert "internal error" not in line and "Traceback" not in line
