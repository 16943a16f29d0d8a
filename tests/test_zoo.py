"""The zoo in `saved_models/`: every shipped model loads without rnnzoo and
reproduces its card's held-out figures on the same split; every card is
complete and every model within its size limit."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from rnnzoo.export import zoo
from tests.plain_serving import NO_RNNZOO

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "data")
CARDS = zoo.shipped(os.path.join(ROOT, "saved_models"))
MB = 1_000_000
CARD_FIELDS = ("recipe", "task", "command", "trained", "train_seconds", "settings", "data",
               "test_metrics", "selection", "size_bytes", "parameters", "model_config", "dataset_config")

# The user files of the zoo's runs, made from ../shared/data as README
# "Quality reached on this machine" says.
USER_FILES = {
    "mr.tsv": lambda: "".join(
        f"{line.rstrip(chr(10))}\t{label}\n"
        for name, label in (("rt-polarity.pos", "positive"), ("rt-polarity.neg", "negative"))
        for line in open(os.path.join(SHARED, name), encoding="utf-8")),
    "fra10k.tsv": lambda: "".join(
        open(os.path.join(SHARED, "fra-eng.tsv"), encoding="utf-8").readlines()[:10000]),
}

# Runs in a process that cannot import rnnzoo: TensorFlow (and sacrebleu
# for BLEU) alone, as a server would.
CHILD = NO_RNNZOO + """import numpy as np
import tensorflow as tf

path, job = sys.argv[1], json.load(open(sys.argv[2]))
loaded = tf.saved_model.load(path)
batch = 64

def call(signature, **inputs):
    fn = loaded.signatures[signature]
    n = len(next(iter(inputs.values())))
    outputs = []
    for i in range(0, n, batch):
        chunk = {k: tf.constant(v[i:i + batch]) for k, v in inputs.items()}
        outputs.append({k: v.numpy() for k, v in fn(**chunk).items()})
    return {k: np.concatenate([o[k] for o in outputs]) for k in outputs[0]}

def text(values):
    return [v.decode("utf-8") for v in values]

found = {}
kind = job["kind"]
if kind == "score":
    out = call("score", **job["inputs"])
    count = out["token_count"].sum()
    found["cross_entropy"] = float(-out["log_likelihood"].sum() / count)
    found["accuracy"] = float(out["correct"].sum() / count)
elif kind == "classify":
    out = call("serving_default", text=job["inputs"]["text"])
    found["accuracy"] = float(np.mean([a == b for a, b in zip(text(out["labels"]), job["labels"])]))
elif kind == "translate":
    out = call("serving_default", text=job["inputs"]["text"])
    hypotheses = text(out["translation"])
    found["exact_match"] = float(np.mean([a == b for a, b in zip(hypotheses, job["references"])]))
    if job.get("bleu"):
        import sacrebleu
        found["bleu"] = sacrebleu.corpus_bleu(hypotheses, [job["references"]]).score
        found["chrf"] = sacrebleu.corpus_chrf(hypotheses, [job["references"]]).score
        scored = call("score", text=job["inputs"]["text"], target=job["references"])
        found["accuracy"] = float(scored["correct"].sum() / scored["token_count"].sum())
print(json.dumps(found))
"""


def user_file(card, tmp_path):
    """The card's user file, rebuilt from ../shared/data."""
    name = os.path.basename(card["settings"]["data"])
    if name not in USER_FILES:
        pytest.fail(f"{card['name']}: no recipe for its data file {name}")
    path = tmp_path / name
    path.write_text(USER_FILES[name](), encoding="utf-8")
    return str(path)


def held_out_pairs(card, tmp_path):
    """The raw test split of a card's run: `[(input, target)]`."""
    from rnnzoo.data.user_files import read_tsv
    from rnnzoo.data.user_files import shuffled_split

    settings = card["settings"]
    return shuffled_split(read_tsv(user_file(card, tmp_path)), settings["seed"])["test"]


def shakespeare_windows(card, tmp_path):
    """The test split of TFDS tiny_shakespeare in the run's windows."""
    import tensorflow_datasets as tfds

    from rnnzoo.data import prepare

    data_dir = str(tmp_path / "tfds")
    prepare("tiny_shakespeare", [os.path.join(SHARED, "tinyshakespeare.txt")], data_dir=data_dir)
    (example,) = tfds.load("tiny_shakespeare", split="test", data_dir=data_dir)
    text = example["text"].numpy().decode("utf-8")
    length = card["settings"]["max_input_tokens"]
    return [text[i: i + length + 1] for i in range(0, len(text) - length, length)]


def addition_questions(card, tmp_path):
    """The built-in addition test split, as the user writes the questions."""
    from rnnzoo.data.builtin import builder_for

    builder = builder_for("addition", data_dir=str(tmp_path / "tfds"), **card["dataset_config"])
    builder.download_and_prepare()
    pairs = [(ex["question"].numpy().decode(), ex["answer"].numpy().decode())
             for ex in builder.as_dataset(split="test")]
    return [(q[::-1] if card["data"]["reverse_source"] else q, a) for q, a in pairs]


def job_for(card, tmp_path):
    """What the child computes for a card, and the figures it checks."""
    task, settings = card["task"], card["settings"]
    if settings.get("data") and not os.path.isdir(SHARED):
        pytest.skip("../shared/data is not here")
    if task == "language_model":
        if not os.path.isdir(SHARED):
            pytest.skip("../shared/data is not here")
        return {"kind": "score", "inputs": {"text": shakespeare_windows(card, tmp_path)}}
    if task == "classification":
        pairs = held_out_pairs(card, tmp_path)
        return {"kind": "classify", "inputs": {"text": [t for t, _ in pairs]},
                "labels": [label for _, label in pairs]}
    if task == "conditional_generation":
        pairs = held_out_pairs(card, tmp_path)
        return {"kind": "score", "inputs": {"condition": [label for _, label in pairs],
                                            "text": [t for t, _ in pairs]}}
    if task == "seq2seq":
        pairs = (addition_questions(card, tmp_path) if settings.get("dataset") == "addition"
                 else held_out_pairs(card, tmp_path))
        cut = settings["max_input_tokens"]  # Targets as the run cut them.
        pairs = [(s, t[: cut - 1] if cut else t) for s, t in pairs]
        return {"kind": "translate", "inputs": {"text": [s for s, _ in pairs]},
                "references": [t for _, t in pairs], "bleu": "bleu" in card["test_metrics"]}
    pytest.fail(f"{card['name']}: no reproduction for task {task!r}")


@pytest.mark.skipif(not CARDS, reason="no model in saved_models/")
@pytest.mark.parametrize("card", CARDS, ids=[c["name"] for c in CARDS])
def test_a_shipped_model_reproduces_its_figures_without_rnnzoo(card, tmp_path):
    job = job_for(card, tmp_path)
    job_path = tmp_path / "job.json"
    job_path.write_text(json.dumps(job), encoding="utf-8")
    process = subprocess.run([sys.executable, "-c", CHILD, card["path"], str(job_path)],
                             capture_output=True, text=True, timeout=900)
    assert process.returncode == 0, process.stderr[-3000:]
    found = json.loads(process.stdout.strip().splitlines()[-1])
    metric, _ = zoo.figure(card)
    assert metric in found
    for name, value in found.items():
        if name in card["test_metrics"]:
            assert value == pytest.approx(card["test_metrics"][name], abs=1e-3), name


@pytest.mark.skipif(not CARDS, reason="no model in saved_models/")
def test_every_card_is_complete_and_every_model_within_its_size():
    total = 0
    for card in CARDS:
        missing = [f for f in CARD_FIELDS if card.get(f) is None]
        assert not missing, (card["name"], missing)
        assert card["command"].startswith(f"rnnzoo train {card['recipe']}")
        assert card["selection"]["epoch"] >= 1 and card["data"]["splits"]["test"]
        versions = zoo.versions(os.path.dirname(card["path"]))
        assert versions == [card["version"]], f"{card['name']}: one version in git"
        size = zoo.folder_size(card["path"])
        assert size <= 16 * MB, (card["name"], size)
        total += size
        metric, value = zoo.figure(card)
        assert np.isfinite(value)
    assert total <= 48 * MB


def predict(*args):
    return subprocess.run([sys.executable, "-m", "rnnzoo.cli", "predict", *args],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)


@pytest.mark.skipif(not os.path.isdir(os.path.join(ROOT, "saved_models", "addition")),
                    reason="the addition model is not shipped")
def test_the_shipped_adder_answers_the_question_as_written():
    process = predict("saved_models/addition", "123+45", "9+9", "500+500")
    assert process.returncode == 0, process.stderr[-2000:]
    rows = [json.loads(line) for line in process.stdout.splitlines()]
    assert [row["translation"] for row in rows] == ["168", "18", "1000"]


def installed_copy(tmp_path):
    """rnnzoo installed without `-e` (`pip install --no-deps --target`,
    TensorFlow not reinstalled) from a clone of this checkout: its sources
    and its zoo's `addition` (the clone's `saved_models/`)."""
    import shutil

    clone = tmp_path / "clone"
    clone.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(os.path.join(ROOT, name), clone / name)
    shutil.copytree(os.path.join(ROOT, "rnnzoo"), clone / "rnnzoo",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(os.path.join(ROOT, "saved_models", "addition"),
                    clone / "saved_models" / "addition")
    site = tmp_path / "site"
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                          "--no-build-isolation", "--no-index", "--target", str(site),
                          str(clone)], capture_output=True, text=True, timeout=300)
    assert pip.returncode == 0, pip.stderr[-3000:]
    return clone, site


@pytest.mark.skipif(not os.path.isdir(os.path.join(ROOT, "saved_models", "addition")),
                    reason="the addition model is not shipped")
def test_a_non_editable_install_finds_the_zoo_of_its_clone_or_names_rnnzoo_zoo(
        tmp_path, monkeypatch):
    monkeypatch.delenv("RNNZOO_ZOO", raising=False)
    clone, site = installed_copy(tmp_path)
    assert not (site / "saved_models").exists()  # The package does not carry the zoo.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = dict(os.environ, PYTHONPATH=str(site))  # Not this checkout: the installed copy alone.

    def python(*args):
        return subprocess.run([sys.executable, *args], capture_output=True, text=True,
                              timeout=300, cwd=elsewhere, env=env)

    where = python("-c", "import rnnzoo; from rnnzoo.export import zoo; "
                         "print(rnnzoo.__file__); print(zoo.default_base())")
    assert where.stdout.splitlines() == [str(site / "rnnzoo" / "__init__.py"),
                                         str(clone / "saved_models")], where.stderr[-2000:]
    answered = python("-m", "rnnzoo", "predict", "addition", "123+45")
    assert answered.returncode == 0, answered.stderr[-2000:]
    assert json.loads(answered.stdout)["translation"] == "168"
    # Installed from a wheel (no record of a clone): the error names RNNZOO_ZOO.
    [record] = site.glob("rnnzoo-*.dist-info/direct_url.json")
    record.unlink()
    refused = python("-m", "rnnzoo", "predict", "addition", "123+45")
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.splitlines() == [
        "rnnzoo: error: addition is neither a folder nor a model of the zoo. " + zoo.missing_zoo()]
    assert "Set RNNZOO_ZOO to the saved_models/ folder of a clone" in refused.stderr


def test_a_zoo_variable_that_names_no_folder_is_told(tmp_path, monkeypatch, capsys):
    from rnnzoo import cli

    monkeypatch.setenv("RNNZOO_ZOO", str(tmp_path / "nope"))
    with pytest.raises(SystemExit) as stop:
        cli.main(["zoo"])
    assert stop.value.code == 2
    assert capsys.readouterr().err == (
        f"rnnzoo: error: RNNZOO_ZOO={tmp_path / 'nope'} is not a folder: set it to the "
        "saved_models/ folder of a clone of the repository.\n")
