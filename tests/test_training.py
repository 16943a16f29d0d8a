"""Recipes end to end: smoke runs, user files, run folders, resume."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from rnnzoo.train.recipe import find_recipe
from rnnzoo.train.run_folder import RunFolder
from rnnzoo.train.run_folder import RunFolderError
from rnnzoo.train.engine import run


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("tfds"))


def smoke(name, tmp_path, data_dir, **settings):
    return run(
        find_recipe(name),
        {"smoke": True, "output_dir": str(tmp_path), "data_dir": data_dir, **settings},
        verbose=0,
    )


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return str(path)


USER_FILES = {
    "imdb_sentiment": ("reviews.tsv", "".join(
        f"{w} film number {i}\t{'pos' if w == 'great' else 'neg'}\n"
        for i in range(40) for w in ("great", "awful"))),
    "addition": ("pairs.tsv", "".join(f"{i}+{i}\t{2 * i}\n" for i in range(60))),
    "shakespeare_char": ("play.txt", "To be, or not to be, that is the question.\n" * 80),
    "shakespeare_feedback": ("play.txt", "All the world's a stage, and all the men players.\n" * 80),
    "conll_ner": ("ner.conll", "".join(
        f"John B-PER\nlives O\nin O\nParis B-LOC\n{'.'} O\n\n" for _ in range(30))),
    "adding_problem": ("series.csv", "value\n" + "".join(
        f"{np.sin(i / 5):.4f}\n" for i in range(400))),
    "review_generator": ("lines.tsv", "".join(
        f"a {w} story\t{w}\n" for _ in range(40) for w in ("happy", "sad"))),
}


@pytest.mark.parametrize("name", sorted(USER_FILES))
def test_recipes_train_on_the_users_files(name, tmp_path):
    filename, text = USER_FILES[name]
    path = write(tmp_path / filename, text)
    # Short windows: the language models' validation slices are small texts.
    extra = {"max_input_tokens": 16} if name in ("adding_problem", "shakespeare_char") else {}
    result = run(
        find_recipe(name),
        {"data": path, "epochs": 1, "units": 8, "output_dir": str(tmp_path / "runs"),
         "batch_size": 8, "eval_examples": 8, "max_new_tokens": 10, **extra},
        verbose=0,
    )
    assert np.isfinite(result.metrics["test"]["loss"])


def test_a_changed_config_is_refused_and_the_run_kept(tmp_path, data_dir):
    result = smoke("addition", tmp_path, data_dir)
    before = open(os.path.join(result.run_dir, "config.json")).read()
    with pytest.raises(RunFolderError, match="settings.units: 16 -> 17"):
        smoke("addition", tmp_path, data_dir, units=17)
    assert open(os.path.join(result.run_dir, "config.json")).read() == before


def test_a_setting_newer_than_the_run_at_its_default_changes_nothing(tmp_path, data_dir):
    result = smoke("addition", tmp_path, data_dir)
    path = os.path.join(result.run_dir, "config.json")
    config = json.load(open(path))
    full = json.load(open(path))
    # As a run made before the setting and the data fact existed.
    del config["settings"]["min_delta"], config["data"]["splits"]
    json.dump(config, open(path, "w"))
    assert RunFolder(result.run_dir).config()["settings"]["min_delta"] == 0.0  # Its default.
    again = smoke("addition", tmp_path, data_dir)
    assert again.metrics["test"] == result.metrics["test"]
    assert json.load(open(path)) == full  # Written down now.
    with pytest.raises(RunFolderError, match="settings.min_delta: 0.0 -> 0.5"):
        smoke("addition", tmp_path, data_dir, min_delta=0.5)


def rnnzoo(*args, **kwargs):
    return subprocess.Popen(
        [sys.executable, "-m", "rnnzoo.cli", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs,
    )


def test_resume_after_sigkill(tmp_path, data_dir):
    args = ["train", "addition", "--smoke", "--epochs", "6", "--units", "8",
            "--output-dir", str(tmp_path), "--data-dir", data_dir, "--quiet"]
    state = tmp_path / "addition" / "checkpoints" / "state.json"
    process = rnnzoo(*args)
    deadline = time.time() + 120
    while time.time() < deadline and process.poll() is None:
        if state.exists() and json.loads(state.read_text())["epoch"] >= 2:
            break
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    killed = json.loads(state.read_text())
    assert 2 <= killed["epoch"] < 6, "the run should be killed midway"
    process = rnnzoo(*args)
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    history = json.loads((tmp_path / "addition" / "metrics.json").read_text())["history"]
    assert len(history["loss"]) == 6
    assert history["loss"][: killed["epoch"]] == killed["history"]["loss"]
    assert f"Epoch {killed['epoch'] + 1}/6" in out
    assert "Epoch 1/6" not in out


def test_cli_list_evaluate_and_generate(tmp_path, data_dir):
    smoke("shakespeare_char", tmp_path, data_dir)
    run_dir = str(tmp_path / "shakespeare_char")
    out, _ = rnnzoo("list", "recipes").communicate()
    assert "addition" in out and "long_range" in out
    out, _ = rnnzoo("list", "models", "--pattern", "seq2seq_gru*").communicate()
    assert out.split() == ["seq2seq_gru_base", "seq2seq_gru_bidirectional_bahdanau_1x256",
                           "seq2seq_gru_bidirectional_bahdanau_base",
                           "seq2seq_gru_luong_base", "seq2seq_gru_small"]
    process = rnnzoo("evaluate", run_dir)
    out, err = process.communicate()
    assert process.returncode == 0, err
    assert "test loss:" in out and "ran out of data" not in err
    process = rnnzoo("generate", run_dir, "--prompt", "ROMEO:", "--max-new-tokens", "12")
    out, err = process.communicate()
    assert process.returncode == 0, err
    assert out.startswith("ROMEO:") and len(out.strip()) > len("ROMEO:")
