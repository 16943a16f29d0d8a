"""The long-range sweep: parallel runs, one summary, resumable after kill -9."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from rnnzoo.errors import UsageError
from rnnzoo.train.recipe import find_recipe
from rnnzoo.train.sweep import start_order
from rnnzoo.train.sweep import sweep_plan


def sweep(out, data_dir, jobs):
    return [sys.executable, "-m", "rnnzoo", "train", "long_range", "--smoke",
            "--cells", "elman", "--output-dir", str(out), "--data-dir", data_dir,
            "--jobs", str(jobs)]


def summary(out):
    with open(os.path.join(out, "long_range", "summary.json")) as f:
        return json.load(f)


def processes_writing(out):
    """PIDs of processes whose command line names `out`."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if str(out).encode() in f.read():
                    found.append(int(pid))
        except OSError:
            pass
    return found


def test_the_plan_runs_every_cell_and_length_with_the_recipes_targets():
    base, runs = sweep_plan(find_recipe("long_range"), {"cells": "lstm,gru",
                                                        "lengths": "100,200", "seed": 3})
    assert base == os.path.join("runs", "long_range")
    assert [(r["recipe"], r["cell"], r["length"]) for r in runs] == [
        (recipe, cell, t) for recipe in ("adding_problem", "copy_memory")
        for cell in ("lstm", "gru") for t in (100, 200)]
    argv = runs[0]["argv"]
    assert argv[:6] == ["train", "adding_problem", "--cell", "lstm", "--length", "100"]
    assert argv[argv.index("--seed") + 1] == "3"
    assert "--target" in argv


def test_a_curriculum_chains_each_cell_over_ascending_lengths():
    _, runs = sweep_plan(find_recipe("long_range"), {"cells": "gru", "lengths": "200,10,100"})
    chain = [r for r in runs if r["recipe"] == "copy_memory"]
    assert [r["length"] for r in chain] == [10, 100, 200]
    assert [r["after"] for r in chain] == [
        None, chain[0]["run_dir"], chain[1]["run_dir"]]
    for run in chain:
        argv = run["argv"]
        assert argv[argv.index("--chrono-steps") + 1] == "200"  # The chain's longest.
        assert ("--init-from" in argv) == bool(run["after"])
        if run["after"]:
            assert argv[argv.index("--init-from") + 1] == run["after"]
    assert all(r["after"] is None and "--init-from" not in r["argv"]
               for r in runs if r["recipe"] == "adding_problem")
    _, runs = sweep_plan(find_recipe("long_range"), {"recipes": "copy_memory"})
    assert {r["recipe"] for r in runs} == {"copy_memory"}
    with pytest.raises(UsageError, match="--recipes: 'copy' is not a recipe of the sweep"):
        sweep_plan(find_recipe("long_range"), {"recipes": "copy"})


def test_a_curriculum_starts_first_its_chain_being_the_critical_path():
    _, runs = sweep_plan(find_recipe("long_range"), {"cells": "lstm,gru"})
    order = [(r["recipe"][:4], r["cell"], r["length"]) for r in start_order(runs)]
    assert order == [
        ("copy", "lstm", 10), ("copy", "gru", 10),  # Two runs wait on each.
        ("copy", "lstm", 100), ("copy", "gru", 100),
        ("copy", "lstm", 200), ("copy", "gru", 200),
        ("addi", "lstm", 500), ("addi", "gru", 500),  # Then the longest.
        ("addi", "lstm", 200), ("addi", "gru", 200),
        ("addi", "lstm", 100), ("addi", "gru", 100),
        ("addi", "lstm", 10), ("addi", "gru", 10),
    ]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc and prctl")
def test_two_jobs_give_the_summary_of_one_and_a_killed_sweep_resumes(tmp_path):
    data_dir = str(tmp_path / "tfds")
    one, two = tmp_path / "one", tmp_path / "two"
    subprocess.run(sweep(one, data_dir, 1), check=True, capture_output=True, timeout=300)

    parent = subprocess.Popen(sweep(two, data_dir, 2), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    logs = two / "long_range" / "logs"
    deadline = time.time() + 120
    while time.time() < deadline:  # Kill once a run is training.
        texts = [p.read_text() for p in logs.glob("*.log")] if logs.exists() else []
        if any("training into" in t for t in texts):
            break
        time.sleep(0.1)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.time() + 10
    while processes_writing(two) and time.time() < deadline:
        time.sleep(0.1)
    assert not processes_writing(two)  # The runs died with the sweep.
    unfinished = [name for name in os.listdir(two / "long_range") if name != "logs"
                  and not os.path.exists(two / "long_range" / name / "metrics.json")]
    assert unfinished

    done = subprocess.run(sweep(two, data_dir, 2), capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    rows_one, rows_two = summary(one)["runs"], summary(two)["runs"]
    assert [(r["recipe"], r["cell"], r["length"]) for r in rows_two] == [
        ("adding_problem", "elman", 10), ("copy_memory", "elman", 10),
        ("copy_memory", "elman", 100)]
    started = json.loads((two / "long_range" / "copy_memory-elman-T100" / "config.json")
                         .read_text())["init_from"]  # The curriculum's second run.
    assert started["from"] == str(two / "long_range" / "copy_memory-elman-T10")
    for a, b in zip(rows_one, rows_two):
        assert b["loss"] == pytest.approx(a["loss"], rel=1e-5)
    assert "| adding_problem | elman |" in summary(two)["table"]
