"""Served models know their input domain (issue 23): the addition export
reads a question as its training data had it (whitespace and leading zeros
dropped) and refuses, in its graph, text outside the data's form, in words
that name the input and the accepted form; the card carries that form, a
run of the built-in data records it, and `rnnzoo predict` and
`load_pretrained` say the same."""

import json
import os
import subprocess
import sys

import pytest
import tensorflow as tf

from rnnzoo.data.builtin import addition_domain
from rnnzoo.errors import UsageError
from rnnzoo.export.predict import refusal
from rnnzoo.models.serving import InputForm
from rnnzoo.models.serving import ServingContext

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ZOO = os.path.join(ROOT, "saved_models")
ADDITION = os.path.join(ZOO, "addition")
FORM = addition_domain(3)["input_form"]
RULE = ("Input `text` must be one to three digits, '+', one to three digits "
        "(e.g. 123+45; whitespace and leading zeros are ignored)")
ANSWERED = {"  12 + 7 ": "19", "12 + 7": "19", "007+3": "10", "12+7": "19"}
REFUSED = ["1000+1", "abc", "", "5-3"]

shipped = pytest.mark.skipif(not os.path.isdir(ADDITION), reason="addition is not shipped")


def card_of(path):
    with open(os.path.join(path, "assets", "rnnzoo.json")) as f:
        return json.load(f)


def serve(path, texts):
    """The translations of the export at `path` (a version folder)."""
    fn = tf.saved_model.load(path).signatures["serving_default"]
    out = fn(text=tf.constant(texts, tf.string, shape=(len(texts),)))
    return [t.decode("utf-8") for t in out["translation"].numpy()]


def refused_by(path, texts):
    """The words of the export's refusal of `texts`."""
    with pytest.raises(tf.errors.InvalidArgumentError) as error:
        serve(path, texts)
    return refusal(error.value.message)


@pytest.fixture(scope="module")
def shipped_version():
    from rnnzoo.export import zoo

    return os.path.join(ADDITION, str(zoo.versions(ADDITION)[-1]))


@shipped
def test_the_shipped_card_names_the_form_and_domain(shipped_version):
    card = card_of(shipped_version)
    assert card["input_form"] == FORM == card["data"]["input_form"]
    assert card["domain"].startswith("sums of two whole numbers from 0 to 999")
    assert card["reexported"]["added"] == ["domain", "input_form"]


@shipped
def test_the_shipped_savedmodel_answers_questions_as_its_data_had_them(shipped_version):
    assert serve(shipped_version, list(ANSWERED)) == list(ANSWERED.values())


@shipped
@pytest.mark.parametrize("text", REFUSED)
def test_the_shipped_savedmodel_refuses_text_outside_the_form(text, shipped_version):
    assert refused_by(shipped_version, [text]) == f"{RULE}; received: '{text}'"


@shipped
def test_a_batch_with_refused_text_is_refused_naming_those_texts(shipped_version):
    batch = ["12+7", *REFUSED, "  1 + 1", "x" * 60, "[1]+'2'"]
    assert refused_by(shipped_version, batch) == (
        f"{RULE}; received: '1000+1', 'abc', '', '5-3', '{'x' * 40}...', ... (6 of 8 inputs)")
    assert refused_by(shipped_version, ["[1]+'2'"]).endswith("received: '[1]+'2''")
    assert serve(shipped_version, []) == []


def predict(*inputs, cwd):
    # From another folder, with this checkout's rnnzoo and its zoo.
    path = os.pathsep.join(p for p in (ROOT, os.environ.get("PYTHONPATH")) if p)
    env = dict(os.environ, RNNZOO_ZOO=ZOO, PYTHONPATH=path)
    return subprocess.run([sys.executable, "-m", "rnnzoo", "predict", "addition", *inputs],
                          capture_output=True, text=True, timeout=300, cwd=cwd, env=env)


@shipped
def test_rnnzoo_predict_answers_and_refuses_in_one_line(tmp_path):
    answered = predict(*ANSWERED, cwd=tmp_path)
    assert answered.returncode == 0, answered.stderr[-2000:]
    rows = [json.loads(line) for line in answered.stdout.splitlines()]
    assert [row["translation"] for row in rows] == list(ANSWERED.values())
    refused = predict("12+7", *REFUSED, cwd=tmp_path)
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.splitlines() == [
        f"rnnzoo: error: addition refused the input: {RULE}; received: '1000+1', 'abc', "
        "'', '5-3' (4 of 5 inputs)"]


@shipped
def test_the_pretrained_preprocessor_reads_and_refuses_as_the_export():
    import rnnzoo

    model = rnnzoo.load_pretrained("addition", base=ZOO)
    context = model.preprocessor.context
    assert context.input_form == InputForm.from_config(FORM)
    ids = model.preprocessor(["  12 + 7 ", "007+3"]).numpy()
    assert ids.tolist() == model.preprocessor(["12+7", "7+3"]).numpy().tolist()
    tokens, _ = model.generate(ids, max_length=6)
    assert model.preprocessor.detokenize(tokens) == ["19", "10"]
    with pytest.raises(UsageError) as error:
        model.preprocessor(["abc", "1+1"])
    assert str(error.value) == (RULE.replace("`text`", "`inputs`")
                                + "; received: 'abc' (1 of 2 inputs)")


def test_a_smoke_trained_addition_run_carries_and_enforces_the_form(tmp_path):
    from rnnzoo.export.saved_model import export_run
    from rnnzoo.train.commands import generate_text
    from rnnzoo.train.engine import run
    from rnnzoo.train.recipe import find_recipe
    from rnnzoo.train.run_folder import RunFolder

    result = run(find_recipe("addition"), {"smoke": True, "run_dir": str(tmp_path / "run"),
                                           "data_dir": str(tmp_path / "tfds")}, verbose=0)
    assert RunFolder(result.run_dir).config()["data"]["input_form"] == FORM
    path = export_run(result.run_dir, base_dir=str(tmp_path / "saved"))
    card = card_of(path)
    assert card["input_form"] == FORM and card["domain"] == addition_domain(3)["domain"]
    fn = tf.saved_model.load(path).signatures["serving_default"]
    same = fn(text=tf.constant(["12+7", " 1 2 + 0 0 7 ", "12+7"]))["tokens"].numpy()
    assert same[0].tolist() == same[1].tolist() == same[2].tolist()
    for text in REFUSED:
        assert refused_by(path, [text]) == f"{RULE}; received: '{text}'"
    with pytest.raises(UsageError, match=r"^Input `prompt` must be one to three digits"):
        generate_text(result.run_dir, prompts=["abc"])


def test_an_input_form_round_trips_and_checks_its_config():
    form = InputForm.from_config(FORM)
    assert InputForm.from_config(form.get_config()) == form and form.get_config() == FORM
    assert InputForm.from_config(None) is None
    with pytest.raises(ValueError, match="Unknown normalization.*'lowercase'"):
        InputForm(normalize=["lowercase"])
    with pytest.raises(ValueError, match="needs its `description`"):
        InputForm(pattern="[0-9]+")
    with pytest.raises(ValueError, match="Unknown key.*flags"):
        InputForm.from_config({**FORM, "flags": "i"})


def test_free_text_without_a_pattern_is_only_normalized():
    form = InputForm(normalize=["remove_whitespace"])
    accept = tf.function(form.accept, input_signature=[tf.TensorSpec((None,), tf.string)])
    texts = tf.constant(["a b", "", "\u2603 \u3000x"])
    assert accept(texts).numpy().tolist() == [b"ab", b"", "\u2603x".encode()]
    assert ServingContext(input_form=form).refusal(texts) is None
    assert ServingContext().refusal(texts) is None


def test_a_catalog_datasets_free_text_has_a_domain_and_no_form():
    import tensorflow_datasets as tfds

    from rnnzoo import data
    from rnnzoo.train.run_data import data_facts

    with tfds.testing.mock_data(num_examples=10):
        facts = data_facts(data.load("tiny_shakespeare", batch_size=4, max_length=8))
    assert facts["domain"] == "Shakespeare's plays in English, as plain text"
    assert facts["input_form"] is None


def test_a_refusal_reads_as_the_check_wrote_it():
    graph = ("Graph execution error:\n\nDetected at node Assert/Assert\n\n"
             "assertion failed: [Input `condition` must be one of: neg, pos. Unknown:] "
             "[\\\"x\\\" \\\"a\\\\\\\\b\\\"]\n\t [[{{node Assert/Assert}}]]")
    assert refusal(graph) == 'Input `condition` must be one of: neg, pos. Unknown: "x" "a\\\\b"'
