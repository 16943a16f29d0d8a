"""Served generators and language models sample under the user's control
(issue 23): their exports keep `serving_default` (sampling as exported)
and add a `sample` signature whose `temperature`, `top_k`, `seed` and
`max_new_tokens` are inputs, checked in the graph; `rnnzoo predict` passes
them as flags, and refuses them for an export that does not sample."""

import json
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from rnnzoo import cli
from rnnzoo import models
from rnnzoo.decoding_defaults import MAX_NEW_TOKENS_LIMIT
from rnnzoo.export.predict import refusal
from rnnzoo.export.saved_model import export_saved_model
from rnnzoo.models.serving import ServingContext
from tests.test_cli import in_process  # noqa: F401 (a fixture)

pytestmark = [
    pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="export is TensorFlow"),
    pytest.mark.usefixtures("in_process"),  # `rnnzoo predict` runs in this process.
]

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ZOO = os.path.join(ROOT, "saved_models")
WORDS = ["[START]", "[END]"] + [f"w{i}" for i in range(12)]
LETTERS = list("abcdefghij")
# The defaults a run would record: `serving_default` samples with them.
DECODE = {"temperature": 1.0, "seed": 0, "max_new_tokens": 8}
DEFAULTS = {"temperature": 1.0, "top_k": 0, "seed": 0, "max_new_tokens": 8}


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """A tiny conditional generator and a tiny character language model
    (untrained: near-uniform odds, so seeds matter), exported."""
    base = tmp_path_factory.mktemp("sampling")
    keras.utils.set_random_seed(1)
    words = keras.layers.TextVectorization(standardize=None, vocabulary=WORDS)
    generator = models.SequenceGenerator(
        cell="gru", units=8, vocabulary_size=words.vocabulary_size(), num_conditions=2,
        start_id=2, end_id=3)
    letters = keras.layers.TextVectorization(split="character", standardize=None,
                                             vocabulary=LETTERS)
    size = letters.vocabulary_size()
    language_model = models.SequenceTagger(cell="gru", units=8, vocabulary_size=size,
                                           num_tags=size, task="language_model")
    language_model.build((None, None))
    paths = {
        "generator": export_saved_model(generator, "generator", base_dir=str(base), context=(
            ServingContext(vectorizers={"tokens": words}, label_names=["neg", "pos"],
                           tokens="word", decode=DECODE))),
        "language_model": export_saved_model(
            language_model, "language_model", base_dir=str(base),
            context=ServingContext(vectorizers={"tokens": letters}, decode=DECODE)),
    }
    paths["keras_generator"] = generator
    return paths


@pytest.fixture(scope="module")
def loaded(exported):
    return {name: tf.saved_model.load(exported[name]) for name in ("generator",
                                                                   "language_model")}


def sample(loaded, data, name="condition", **settings):
    """The `sample` signature on `data`, the settings one value per
    instance (a number is repeated), the others at `DEFAULTS`."""
    rows = len(data)
    values = {**DEFAULTS, **settings}
    feed = {k: tf.constant(v if isinstance(v, list) else [v] * rows,
                           tf.float32 if k == "temperature" else tf.int32)
            for k, v in values.items()}
    return loaded.signatures["sample"](**{name: tf.constant(data, tf.string)}, **feed)


def texts(outputs):
    return [t.decode("utf-8") for t in outputs["text"].numpy()]


def test_sampling_exports_keep_serving_default_and_add_sample(exported, loaded):
    for name, data in (("generator", "condition"), ("language_model", "text")):
        signatures = loaded[name].signatures
        assert sorted(signatures) == ["sample", "score", "serving_default"]
        assert sorted(signatures["serving_default"].structured_input_signature[1]) == [data]
        assert sorted(signatures["sample"].structured_input_signature[1]) == sorted(
            [data, "max_new_tokens", "seed", "temperature", "top_k"])
        assert sorted(signatures["sample"].structured_outputs) == ["text", "tokens"]
        with open(os.path.join(exported[name], "assets", "rnnzoo.json")) as f:
            text = f.read()
        card = json.loads(text)
        assert card["sampling"] == {"signature": "sample", "defaults": DEFAULTS,
                                    "max_new_tokens_limit": MAX_NEW_TOKENS_LIMIT}
        assert card["signatures"] == ["serving_default", "sample", "score"]
        assert text == json.dumps(card, indent=2, sort_keys=True)  # A stable key order.


def test_serving_default_is_sample_with_the_cards_defaults(loaded):
    conditions = ["neg", "pos", "neg"]
    default = loaded["generator"].signatures["serving_default"](
        condition=tf.constant(conditions))
    asked = sample(loaded["generator"], conditions)
    np.testing.assert_array_equal(default["tokens"], asked["tokens"])
    prompts = ["abc", ""]
    default = loaded["language_model"].signatures["serving_default"](text=tf.constant(prompts))
    np.testing.assert_array_equal(default["tokens"],
                                  sample(loaded["language_model"], prompts, "text")["tokens"])


@pytest.mark.parametrize("name, data, field", [
    ("generator", ["pos"] * 4, "condition"), ("language_model", ["ab"] * 4, "text")])
def test_a_seed_gives_its_sample_and_another_seed_another(loaded, name, data, field):
    first = texts(sample(loaded[name], data, field, seed=[1, 2, 1, 3]))
    again = texts(sample(loaded[name], data, field, seed=[1, 2, 1, 3]))
    assert first == again and first[0] == first[2]
    assert len({first[0], first[1], first[3]}) == 3, first
    # An instance's sample depends on its inputs alone, not on its batch.
    alone = texts(sample(loaded[name], data[:1], field, seed=2))
    assert alone == first[1:2]


def test_greedy_and_top_k_one_ignore_the_seed(exported, loaded):
    generator = loaded["generator"]
    greedy = sample(generator, ["neg"] * 3, temperature=0.0, seed=[0, 1, 2])["tokens"].numpy()
    assert (greedy == greedy[0]).all()
    top_1 = sample(generator, ["neg"] * 2, top_k=1, seed=[5, 6])["tokens"].numpy()
    np.testing.assert_array_equal(top_1, greedy[:2])
    mixed = sample(generator, ["neg", "neg"], temperature=[0.0, 1.0], seed=9)["tokens"].numpy()
    np.testing.assert_array_equal(mixed[0], greedy[0])
    # Greedy is what the Keras model decodes at temperature 0.
    keras_greedy = exported["keras_generator"].generate(np.array([0]), max_length=8,
                                                        temperature=0)
    np.testing.assert_array_equal(greedy[:1], keras_greedy)


def test_the_keras_model_draws_as_the_export_with_one_seed_per_row(exported, loaded):
    tokens = exported["keras_generator"].generate(np.array([0, 1]), max_length=8,
                                                  temperature=1.0, seed=[3, 4])
    served = sample(loaded["generator"], ["neg", "pos"], seed=[3, 4])["tokens"]
    np.testing.assert_array_equal(tokens, served)


def test_max_new_tokens_is_per_instance(loaded):
    out = sample(loaded["language_model"], ["a", "b"], "text", max_new_tokens=[3, 5])
    tokens = out["tokens"].numpy()
    assert tokens.shape == (2, 5)
    assert (tokens > 0).sum(axis=1).tolist() == [3, 5]  # No end token: each to its limit.


LIMIT_RULE = f"an integer from 1 to {MAX_NEW_TOKENS_LIMIT}"


@pytest.mark.parametrize("settings, message", [
    ({"temperature": [1.0, -0.5]}, "Input `temperature` must be a finite number >= 0 (0: "
     "greedy decoding); received: -0.5 (1 of 2 inputs)"),
    ({"temperature": float("nan")}, "Input `temperature` must be a finite number >= 0 (0: "
     "greedy decoding); received: nan, nan (2 of 2 inputs)"),
    ({"top_k": [-1, 0]}, "Input `top_k` must be an integer >= 0 (0: every token); "
     "received: -1 (1 of 2 inputs)"),
    ({"max_new_tokens": [0, 8]}, f"Input `max_new_tokens` must be {LIMIT_RULE}; received: 0 "
     "(1 of 2 inputs)"),
    ({"max_new_tokens": MAX_NEW_TOKENS_LIMIT + 1}, f"Input `max_new_tokens` must be "
     f"{LIMIT_RULE}; received: {MAX_NEW_TOKENS_LIMIT + 1}, {MAX_NEW_TOKENS_LIMIT + 1} "
     "(2 of 2 inputs)"),
    ({"seed": [1]}, "Inputs `condition`, `temperature`, `top_k`, `seed`, `max_new_tokens` "
     "must have one value per instance; received 2, 2, 2, 1, 2 values"),
])
def test_bad_settings_are_refused_by_the_savedmodel(loaded, settings, message):
    with pytest.raises(tf.errors.InvalidArgumentError) as error:
        sample(loaded["generator"], ["neg", "pos"], **settings)
    assert refusal(error.value.message) == message


# `rnnzoo predict`.


def run_main(capsys, *args, stdin=None, monkeypatch=None):
    import io

    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    try:
        status = cli.main(list(args))
    except SystemExit as stop:
        status = stop.code
    out, err = capsys.readouterr()
    return status, [json.loads(line) for line in out.splitlines()], err


def test_predict_passes_the_sampling_flags(exported, capsys):
    path = os.path.dirname(exported["generator"])
    status, default, err = run_main(capsys, "predict", path, "pos")
    assert status == 0, err
    runs = {seed: run_main(capsys, "predict", path, "pos", "--seed", seed)[1][0]
            for seed in ("0", "1", "2")}
    assert runs["0"] == default[0]  # The default seed is the card's.
    assert len({row["text"] for row in runs.values()}) == 3
    assert run_main(capsys, "predict", path, "pos", "--seed", "1")[1][0] == runs["1"]
    status, rows, _ = run_main(capsys, "predict", path, "pos", "neg", "--temperature", "0",
                               "--max-new-tokens", "3", "--top-k", "2")
    assert status == 0 and [len(row["tokens"]) for row in rows] == [3, 3]


def test_predict_takes_sampling_inputs_per_json_line(exported, capsys, monkeypatch):
    path = os.path.dirname(exported["language_model"])
    lines = ['{"text": "ab", "seed": 1}', '{"text": "ab", "seed": 2}', '"ab"',
             '{"text": "ab", "max_new_tokens": 2}']
    status, rows, err = run_main(capsys, "predict", path, "--seed", "1",
                                 stdin="\n".join(lines), monkeypatch=monkeypatch)
    assert status == 0, err
    assert rows[0] == rows[2] != rows[1]  # The flag is every line's default.
    assert rows[3]["tokens"][2:] == [0] * 6  # The batch's 8 steps; its own 2 tokens.


@pytest.mark.parametrize("flags, message", [
    (["--temperature", "-1"], "refused the input: Input `temperature` must be a finite "
     "number >= 0 (0: greedy decoding); received: -1"),
    (["--top-k", "-2"], "refused the input: Input `top_k` must be an integer >= 0"),
    (["--max-new-tokens", "0"], f"refused the input: Input `max_new_tokens` must be "
     f"{LIMIT_RULE}; received: 0"),
])
def test_predict_bad_flags_exit_2_with_one_line(exported, capsys, flags, message):
    status, rows, err = run_main(capsys, "predict", os.path.dirname(exported["generator"]),
                                 "pos", *flags)
    assert status == 2 and rows == []
    assert len(err.splitlines()) == 1 and message in err


def test_predict_refuses_sampling_flags_for_an_export_that_does_not_sample(tmp_path, capsys):
    model = models.SequenceClassifier(cell="gru", units=4, num_classes=2, vocabulary_size=10)
    model.build((None, None))
    export_saved_model(model, "classifier", base_dir=str(tmp_path))
    status, rows, err = run_main(capsys, "predict", str(tmp_path / "classifier"), "[1, 2]",
                                 "--seed", "3", "--top-k", "1")
    assert status == 2 and rows == []
    assert err.splitlines() == [
        "rnnzoo: error: --top-k, --seed apply only to exports that sample (language models "
        "and conditional generators, whose exports have a `sample` signature); "
        f"{tmp_path / 'classifier'} does not (its signatures: serving_default)."]


def test_generate_samples_an_export_with_the_flags_given(exported, capsys, loaded):
    path = os.path.dirname(exported["language_model"])

    def generate(*flags):
        try:
            status = cli.main(["generate", path, "--prompt", "ab", *flags])
        except SystemExit as stop:
            status = stop.code
        out, err = capsys.readouterr()
        return status, out.splitlines(), err

    expected = texts(sample(loaded["language_model"], ["ab"], "text", seed=4, top_k=3))
    assert generate("--seed", "4", "--top-k", "3")[:2] == (0, expected)
    status, out, err = generate("--temperature", "-1")
    assert status == 2 and out == []
    assert err == ("rnnzoo: error: --temperature must be a finite number >= 0 (0: greedy "
                   "decoding); received -1.0.\n")


def test_predict_help_says_temperature_0_is_greedy(capsys):
    with pytest.raises(SystemExit):
        cli.main(["predict", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "0 is greedy decoding" in text
    for flag in ("--temperature T", "--top-k K", "--seed N", "--max-new-tokens N"):
        assert flag in text
    assert f"1 to {MAX_NEW_TOKENS_LIMIT}" in text


# The shipped models that sample.

SAMPLERS = ["mr_generator", "shakespeare_char", "shakespeare_feedback"]


def shipped_card(name):
    path = os.path.join(ZOO, name, "1", "assets", "rnnzoo.json")
    if not os.path.exists(path):
        pytest.skip(f"{name} is not shipped")
    with open(path) as f:
        return json.load(f)


@pytest.mark.parametrize("name", SAMPLERS)
def test_the_shipped_samplers_were_reexported_with_sample(name):
    card = shipped_card(name)
    assert card["signatures"] == ["serving_default", "sample", "score"]
    decode = card["decode"]
    assert card["sampling"]["defaults"] == {
        "temperature": decode["temperature"], "top_k": 0, "seed": decode["seed"],
        "max_new_tokens": decode["max_new_tokens"]}
    assert "sampling" in card["reexported"]["added"]


def test_the_shipped_generator_samples_as_asked(capsys):
    shipped_card("mr_generator")
    fn = tf.saved_model.load(os.path.join(ZOO, "mr_generator", "1")).signatures["sample"]
    feed = {"condition": tf.constant(["negative"] * 3), "temperature": tf.constant([0.8] * 3),
            "top_k": tf.constant([0] * 3), "seed": tf.constant([0, 1, 0]),
            "max_new_tokens": tf.constant([40] * 3)}
    text = [t.decode() for t in fn(**feed)["text"].numpy()]
    assert text[0] == text[2] != text[1]
    default = run_main(capsys, "predict", "mr_generator", "negative")[1]
    assert run_main(capsys, "predict", "mr_generator", "negative")[1] == default
    assert default[0]["text"] == text[0]  # The default call: seed 0, as exported.
    seeded = run_main(capsys, "predict", "mr_generator", "negative", "--seed", "1")[1]
    assert seeded[0]["text"] == text[1] != default[0]["text"]
