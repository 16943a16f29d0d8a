"""Sweeps: a grid of runs of other recipes (`long_range`), run in parallel.

Each run of the grid is its own `rnnzoo train RECIPE --cell C --length T
--run-dir ...` process, `jobs` at a time, in `start_order`; each resumes
like any run, so a sweep stopped at any point (even by `kill -9`, which
takes its runs down with it) continues where it was when run again.
"""

import ctypes
import os
import signal
import subprocess
import sys
import time

from rnnzoo.errors import UsageError
from rnnzoo.train.recipe import SETTINGS
from rnnzoo.train.recipe import check_value
from rnnzoo.train.recipe import find_recipe
from rnnzoo.train.run_folder import read_json_if_exists
from rnnzoo.train.run_folder import write_json


def _grid(value, default, kind):
    if not value:
        return tuple(default)
    try:
        return tuple(kind(v.strip()) for v in value.split(","))
    except ValueError:
        raise UsageError(f"Expected a comma-separated list; received {value!r}.") from None


def sweep_plan(sweep, overrides):
    """`(base folder, runs)`: every run of the grid in grid order, each a
    dict of `recipe`, `cell`, `length`, `run_dir`, its command line and
    the run folder it starts from (`after`, in a curriculum; else `None`)."""
    overrides = {k: v for k, v in overrides.items() if v is not None}
    recipes = _grid(overrides.pop("recipes", None), sweep.recipes, str)
    for name in recipes:
        if name not in sweep.recipes:
            raise UsageError(f"--recipes: {name!r} is not a recipe of the sweep "
                             f"{sweep.name!r}; its recipes: {', '.join(sweep.recipes)}.")
    cells = _grid(overrides.pop("cells", None), sweep.cells, str)
    given = overrides.pop("lengths", None)
    lengths = {name: _grid(given, sweep.lengths_of(name), int) for name in recipes}
    if overrides.get("smoke"):  # One run per cell; two lengths of a curriculum.
        lengths = {name: ts[:2 if name in sweep.curriculum else 1]
                   for name, ts in lengths.items()}
    for cell in cells:
        check_value("cell", cell)
    for length in {t for ts in lengths.values() for t in ts}:
        check_value("length", length)
    for name in recipes:
        find_recipe(name)
    base = overrides.pop("run_dir", None) or os.path.join(
        overrides.get("output_dir", "runs"), sweep.name
    )
    runs = []
    for name in recipes:
        settings = {**sweep.settings, **sweep.recipe_settings.get(name, {}), **overrides}
        chain = name in sweep.curriculum
        if chain:
            settings.setdefault("chrono_steps", max(lengths[name]))
        flags = _flags(settings)
        for cell in cells:
            after = None
            for length in sorted(lengths[name]) if chain else lengths[name]:
                run_dir = os.path.join(base, f"{name}-{cell}-T{length}")
                start = ["--init-from", after] if after else []
                runs.append({
                    "recipe": name, "cell": cell, "length": length, "run_dir": run_dir,
                    "after": after,
                    "argv": ["train", name, "--cell", cell, "--length", str(length),
                             "--run-dir", run_dir, "--quiet", *start, *flags],
                })
                after = run_dir if chain else None
    return base, runs


def start_order(runs):
    """`runs` in the order the sweep starts them, each once the run it
    starts from has finished: first a curriculum's runs (its chains are
    the sweep's critical path), the runs with more runs after them first;
    then the runs on their own, the longest first."""
    followers = {}  # run folder -> how many runs follow it in its chain
    for run in reversed(runs):  # A chain is planned in ascending order.
        if run["after"]:
            followers[run["after"]] = followers.get(run["run_dir"], 0) + 1

    def key(run):
        chained = bool(run["after"]) or run["run_dir"] in followers
        return (not chained, -followers.get(run["run_dir"], 0), -run["length"])

    return sorted(runs, key=key)


def _flags(settings):
    flags = []
    for name, value in settings.items():
        flag = "--" + name.replace("_", "-")
        if SETTINGS[name].kind is bool:
            flags += [flag] if value else []
        else:
            flags += [flag, str(value)]
    return flags


def _name(run_dir):
    return os.path.basename(run_dir) if run_dir else None


def _die_with_parent():
    """Runs in the child before it starts: the kernel kills it when the
    sweep process dies, however it dies (Linux; elsewhere a no-op)."""
    try:
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (AttributeError, OSError):
        pass


def _child_environment(jobs):
    """Each run's share of the CPUs, unless the user chose already."""
    environment = dict(os.environ)
    threads = str(max(1, (os.cpu_count() or 1) // jobs))
    environment.setdefault("TF_NUM_INTRAOP_THREADS", threads)
    environment.setdefault("TF_NUM_INTEROP_THREADS", threads)
    return environment


def _row(run):
    """The summary row of a finished run: its test metrics and how its
    training ended (from its `metrics.json`)."""
    metrics = read_json_if_exists(os.path.join(run["run_dir"], "metrics.json")) or {}
    selection = metrics.get("selection", {})
    return {
        "recipe": run["recipe"], "cell": run["cell"], "length": run["length"],
        **metrics.get("test", {}),
        "epoch": selection.get("epoch"),
        "epochs_done": selection.get("epochs_done"),
        "solved": selection.get("reached_target", False),
        "train_seconds": metrics.get("run", {}).get("train_seconds"),
    }


def run_sweep(sweep, overrides=None, verbose=1, jobs=None):
    """Runs every recipe x cell x length of a `Sweep`; returns the summary.

    Each run goes to `RUN_DIR/<recipe>-<cell>-T<length>/`, its log to
    `RUN_DIR/logs/`; `summary.json` gets every finished run's test
    metrics, in grid order, after each run. `jobs` runs train at once
    (default: one per CPU), each with its share of the CPUs.
    """
    jobs = jobs or os.cpu_count() or 1
    base, runs = sweep_plan(sweep, dict(overrides or {}))
    logs = os.path.join(base, "logs")
    os.makedirs(logs, exist_ok=True)
    environment = _child_environment(jobs)
    waiting = start_order(runs)
    running, finished, failed = {}, {}, {}  # failed: run name -> why.
    if verbose:
        print(f"[rnnzoo] sweep {sweep.name}: {len(runs)} runs, {jobs} at a time, into {base} "
              f"(each run's log in {logs})", flush=True)
    try:
        while waiting or running:
            for run in [r for r in waiting if _name(r["after"]) in failed]:
                waiting.remove(run)
                failed[_name(run["run_dir"])] = f"not run: its start {_name(run['after'])} failed"
            ready = [r for r in waiting if not r["after"] or _name(r["after"]) in finished]
            while ready and len(running) < jobs:
                run = ready.pop(0)
                waiting.remove(run)
                name = _name(run["run_dir"])
                log = open(os.path.join(logs, name + ".log"), "a")
                process = subprocess.Popen(
                    [sys.executable, "-m", "rnnzoo", *run["argv"]], stdout=log,
                    stderr=subprocess.STDOUT, env=environment, preexec_fn=_die_with_parent)
                running[process] = (run, log, time.time())
            time.sleep(0.2)
            for process in [p for p in running if p.poll() is not None]:
                run, log, begun = running.pop(process)
                log.close()
                name = _name(run["run_dir"])
                if process.returncode:
                    failed[name] = f"exit {process.returncode}; see {log.name}"
                    if verbose:
                        print(f"[rnnzoo] {name}: failed, exit {process.returncode}; "
                              f"see {log.name}", flush=True)
                    continue
                finished[name] = _row(run)
                write_summary(base, runs, finished)
                if verbose:
                    row = finished[name]
                    how = "solved" if row["solved"] else "stopped"
                    print(f"[rnnzoo] {len(finished)}/{len(runs)} {name}: test loss "
                          f"{row.get('loss', float('nan')):.4g} ({how} after epoch "
                          f"{row['epochs_done']}, {time.time() - begun:.0f} s)", flush=True)
    finally:
        for process in running:
            process.kill()
    if failed:
        raise RuntimeError(f"{len(failed)} run(s) of the sweep failed: " + "; ".join(
            f"{name} ({why})" for name, why in failed.items()))
    return write_summary(base, runs, finished)


def write_summary(base, runs, finished):
    """Writes `summary.json`: the finished runs in grid order and their
    table; returns it."""
    rows = [finished[n] for n in (os.path.basename(r["run_dir"]) for r in runs)
            if n in finished]
    summary = {"runs": rows, "table": summary_table(rows)}
    write_json(os.path.join(base, "summary.json"), summary)
    return summary


def summary_table(rows):
    """A Markdown table: one row per recipe and cell, one column per T."""
    lengths = sorted({r["length"] for r in rows})
    lines = ["| recipe | cell | " + " | ".join(f"T={t}" for t in lengths) + " |",
             "|---|---|" + "---|" * len(lengths)]
    keys = dict.fromkeys((r["recipe"], r["cell"]) for r in rows)
    for recipe, cell in keys:
        cells = []
        for t in lengths:
            match = [r for r in rows if (r["recipe"], r["cell"], r["length"]) == (recipe, cell, t)]
            cells.append(f"{match[0]['loss']:.3g}" if match else "")
        lines.append(f"| {recipe} | {cell} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
