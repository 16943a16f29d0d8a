"""Exports: served by plain TensorFlow exactly as the Keras model computes."""

import json
import os
import shutil
import subprocess
import sys

import keras
import numpy as np
import pytest

from rnnzoo import models
from rnnzoo.models import serving
from rnnzoo.train.commands import generate_text
from rnnzoo.export.saved_model import ExportError
from rnnzoo.export.saved_model import export_run
from rnnzoo.export.saved_model import export_saved_model
from rnnzoo.export.saved_model import serving_config
from rnnzoo.train.recipe import find_recipe
from rnnzoo.train.run_folder import RunFolder
from rnnzoo.train.engine import run

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
TASKS = {"addition": "seq2seq", "ted_translate": "seq2seq", "imdb_sentiment": "classification",
         "conll_ner": "tagging", "copy_memory": "tagging", "shakespeare_char": "language_model",
         "shakespeare_feedback": "language_model", "review_generator": "conditional_generation",
         "adding_problem": "regression", "forecasting": "forecasting"}

BLOCK_RNNZOO = """
import json, sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name == "rnnzoo" or name.startswith("rnnzoo."):
            raise ImportError("rnnzoo may not be imported here")
sys.meta_path.insert(0, Block())
import numpy as np
import tensorflow as tf
path, feed = sys.argv[1], json.loads(sys.stdin.read())
fn = tf.saved_model.load(path).signatures["serving_default"]
(name, spec), = fn.structured_input_signature[1].items()
value = tf.constant(feed, dtype=spec.dtype)
outputs = {k: v.numpy() for k, v in fn(**{name: value}).items()}
def plain(v):
    return [x.decode("utf-8", "replace") for x in v.ravel()] if v.dtype == object else v.tolist()
print(json.dumps({k: {"value": plain(v), "shape": v.shape} for k, v in outputs.items()}))
"""


def serve_in_subprocess(path, feed):
    process = subprocess.run(
        [sys.executable, "-c", BLOCK_RNNZOO, path],
        input=json.dumps(feed), capture_output=True, text=True, timeout=300,
    )
    assert process.returncode == 0, process.stderr[-3000:]
    return json.loads(process.stdout.strip().splitlines()[-1])


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
def test_export_serves_without_rnnzoo_like_the_keras_model(case, exports):
    run_dir, path = exports[case]
    feed = CASES[case][1]
    served = serve_in_subprocess(path, feed)
    local = local_outputs(run_dir, feed)
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


def test_classifier_outputs_are_the_models_probabilities(exports):
    run_dir, path = exports["imdb_sentiment"]
    folder = RunFolder(run_dir)
    model, vectorizers = folder.load_model(), folder.vectorizers()
    texts = ["a great film", "awful"]
    ids = serving.text_to_ids(vectorizers["tokens"], np.array(texts), 200).numpy()
    probabilities = keras.ops.softmax(model.predict(ids, verbose=0)).numpy()
    served = serve_in_subprocess(path, texts)
    np.testing.assert_allclose(served["probabilities"]["value"], probabilities, atol=1e-5)
    names = folder.config()["data"]["label_names"]
    assert served["labels"]["value"] == [names[i] for i in probabilities.argmax(-1)]


def test_addition_reads_the_question_as_the_user_writes_it(exports):
    """The model trained on reversed questions; the export reverses them."""
    run_dir, path = exports["addition"]
    folder = RunFolder(run_dir)
    model, vectorizers = folder.load_model(), folder.vectorizers()
    reversed_ids = serving.text_to_ids(vectorizers["source"], np.array(["54+321"]), 500)
    tokens, _ = model.generate(reversed_ids.numpy(), max_length=12)
    served = serve_in_subprocess(path, ["123+45"])
    np.testing.assert_array_equal(served["tokens"]["value"], tokens)
    generated = generate_text(run_dir, prompts=["123+45"])
    assert generated == [serve_in_subprocess(path, ["123+45"])["translation"]["value"][0]]


def test_served_text_has_no_special_tokens(exports):
    for case in ("addition", "ted_translate", "review_generator", "shakespeare_char"):
        _, path = exports[case]
        served = serve_in_subprocess(path, CASES[case][1])
        key = "translation" if "translation" in served else "text"
        for text in served[key]["value"]:
            assert not any(t in text for t in ("[START]", "[END]", "[UNK]")), (case, text)


def test_an_unknown_condition_is_an_error_not_a_guess(exports):
    _, path = exports["review_generator"]
    process = subprocess.run(
        [sys.executable, "-c", BLOCK_RNNZOO, path], input=json.dumps(["pos", "unknown-label"]),
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


@pytest.mark.parametrize("data, name", [
    (None, "imdb_sentiment"), ("my.tsv", "my"), ("/home/me/runs/data/mr.tsv", "mr"),
    ("my reviews (2).tsv", "my_reviews__2_"), ("./.hidden.tsv", "hidden"),
    ("corpus/", "corpus"), ("train.tsv,extra.tsv", "train"), ("__.tsv", "imdb_sentiment"),
])
def test_an_export_is_named_after_the_users_data_file(data, name):
    from rnnzoo.export.saved_model import check_name
    from rnnzoo.export.saved_model import default_name

    config = {"recipe": "imdb_sentiment", "settings": {"data": data}}
    assert default_name(config) == check_name(name)


def small_model():
    model = models.SequenceClassifier(cell="lstm", units=4, num_classes=2, vocabulary_size=10)
    model.build((None, None))
    return model


def test_versions_increase_and_are_never_overwritten(tmp_path):
    model = small_model()
    first = export_saved_model(model, "m", base_dir=str(tmp_path))
    second = export_saved_model(model, "m", base_dir=str(tmp_path))
    assert [os.path.basename(first), os.path.basename(second)] == ["1", "2"]
    with pytest.raises(ExportError, match="exists"):
        export_saved_model(model, "m", base_dir=str(tmp_path), version=1)
    export_saved_model(model, "m", base_dir=str(tmp_path), version=1, overwrite=True)
    assert sorted(os.listdir(tmp_path / "m")) == ["1", "2"]
    config = open(serving_config(str(tmp_path))).read()
    assert 'name: "m"' in config and f'base_path: "{tmp_path / "m"}"' in config


def test_an_interrupted_export_leaves_no_version(tmp_path, monkeypatch):
    import rnnzoo.export.saved_model as export_module

    def fail(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(export_module, "_write_assets", fail)
    with pytest.raises(KeyboardInterrupt):
        export_saved_model(small_model(), "m", base_dir=str(tmp_path))
    assert os.listdir(tmp_path / "m") == []


@pytest.mark.parametrize("name", ["..", ".", "", "a/b", "../x", ".hidden", None])
def test_names_that_are_not_plain_folder_names_are_refused(name, tmp_path):
    with pytest.raises(ExportError, match="plain folder name"):
        export_saved_model(small_model(), name, base_dir=str(tmp_path))
    assert os.listdir(tmp_path) == []


def test_no_cudnn_op_even_on_a_gpu_host(tmp_path, monkeypatch):
    import tensorflow as tf
    from tensorflow.core.protobuf import saved_model_pb2

    real = tf.config.list_logical_devices

    def fake(device_type=None):
        if device_type == "GPU":
            return [tf.config.LogicalDevice("/device:GPU:0", "GPU")]
        return real(device_type)

    monkeypatch.setattr(tf.config, "list_logical_devices", fake)

    def op_types(path):
        proto = saved_model_pb2.SavedModel()
        proto.ParseFromString(open(os.path.join(path, "saved_model.pb"), "rb").read())
        graph = proto.meta_graphs[0].graph_def
        ops = {node.op for node in graph.node}
        for function in graph.library.function:
            ops |= {node.op for node in function.node_def}
        return ops

    for bidirectional in (False, True):
        model = models.SequenceClassifier(
            cell="lstm", units=4, num_classes=2, vocabulary_size=10,
            bidirectional=bidirectional,
        )
        model.build((None, None))
        path = export_saved_model(model, f"lstm{int(bidirectional)}", base_dir=str(tmp_path))
        assert not any(op.startswith("Cudnn") for op in op_types(path))
    # The trap is real: the same model traced plainly on a "GPU host" has it.
    fn = tf.function(lambda ids: model(ids))
    graph = fn.get_concrete_function(tf.TensorSpec((None, None), tf.int32)).graph
    assert "CudnnRNNV3" in {op.type for op in graph.get_operations()}


@pytest.mark.parametrize("attention", ["bahdanau", "luong"])
def test_seq2seq_with_attention_exports_text_in_text_out(attention, tmp_path):
    import tensorflow as tf

    letters = list("abcdefgh")
    source = keras.layers.TextVectorization(split="character", standardize=None, vocabulary=letters)
    target = keras.layers.TextVectorization(
        split="character", standardize=None, vocabulary=["[START]", "[END]"] + letters
    )
    model = models.Seq2Seq(
        cell="gru", units=8, source_vocabulary_size=source.vocabulary_size(),
        target_vocabulary_size=target.vocabulary_size(), attention=attention,
        start_id=2, end_id=3,
    )
    context = serving.ServingContext(
        vectorizers={"source": source, "target": target},
        decode={"decode_method": "beam", "beam_width": 3, "max_new_tokens": 7},
    )
    path = export_saved_model(model, attention, base_dir=str(tmp_path), context=context)
    texts = ["abc", "", "hgfedcbahgfedcba"]
    served = serve_in_subprocess(path, texts)
    ids = serving.text_to_ids(source, tf.constant(texts), 500).numpy()
    tokens, scores = model.generate(ids, max_length=7, method="beam", beam_width=3)
    np.testing.assert_array_equal(served["tokens"]["value"], tokens)
    np.testing.assert_allclose(served["scores"]["value"], scores, atol=1e-5)
