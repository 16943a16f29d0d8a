"""README tables rendered from the kept results, never typed by hand.

- `quality`: README's "Quality reached on this machine", one row per kept
  run in `benchmarks/results/quality/<run>/` (its `metrics.json` and
  `config.json`), with the published anchor of `anchors.json` beside it.
- `zoo`: the table of `saved_models/README.md`, from the shipped models'
  cards (`rnnzoo zoo --markdown`).
- `long_range`: README's "Why LSTM?" table, from the kept sweep summary
  `benchmarks/results/long_range/summary.json`.
- `user_files`: README's "On your own files" table: the runs kept in
  `benchmarks/results/user_files/<task>/` against the classical baselines
  of `benchmarks/results/user_files/baselines.json`
  (`benchmarks/user_tasks.py`), on the same split.

Each table sits in its README between `<!-- table:NAME -->` and
`<!-- /table:NAME -->`; `tests/test_readme_tables.py` fails when one
differs from what this script renders.

    python benchmarks/readme_tables.py            # prints the tables
    python benchmarks/readme_tables.py --write    # rewrites them in place
"""

import argparse
import json
import math
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(ROOT, "benchmarks", "results")
QUALITY = os.path.join(RESULTS, "quality")
LONG_RANGE = os.path.join(RESULTS, "long_range", "summary.json")
USER_FILES = os.path.join(RESULTS, "user_files")
BASELINES = os.path.join(USER_FILES, "baselines.json")
#: README file of each table.
PLACES = {"quality": "README.md", "long_range": "README.md", "user_files": "README.md",
          "zoo": os.path.join("saved_models", "README.md")}


def _read(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _minutes(seconds):
    if seconds is None:
        return ""
    minutes = seconds / 60
    return f"{minutes:.0f} min" if minutes < 90 else f"{minutes / 60:.1f} h"


def headline(config, test):
    """The held-out figures a run is judged by, in words."""
    task = config["task"]
    if task == "regression":
        return f"test MSE {test['loss']:.2g}"
    if task == "classification":
        return f"accuracy {100 * test['accuracy']:.2f} %"
    if task == "seq2seq" and "bleu" in test:
        return (f"BLEU {test['bleu']:.2f}, chrF {test['chrf']:.2f}, "
                f"{test['accuracy']:.3f} per-character accuracy")
    if task == "seq2seq":
        return f"exact match {100 * test['exact_match']:.2f} %"
    unit = "word" if config["data"].get("tokens") == "word" else "char"
    given = " given the label" if task == "conditional_generation" else ""
    return f"{test['cross_entropy']:.3f} nats per {unit}{given}"


def quality_table():
    anchors = _read(os.path.join(QUALITY, "anchors.json"))
    lines = ["| run | recipe | data, held-out split | command | reached here (test) "
             "| epoch selected | training | anchor |",
             "|---|---|---|---|---|---|---|---|"]
    for run in sorted(os.listdir(QUALITY)):
        folder = os.path.join(QUALITY, run)
        if not os.path.isfile(os.path.join(folder, "metrics.json")):
            continue
        metrics, config = _read(os.path.join(folder, "metrics.json")), _read(
            os.path.join(folder, "config.json"))
        splits = config["data"]["splits"]
        test_size = (splits.get("sizes") or {}).get("test")
        data = splits["test"] + (f" ({test_size:,})" if test_size else "")
        selection = metrics["selection"]
        started = (config.get("init_from") or {}).get("from")
        lines.append(" | ".join([
            f"| `{run}`", f"`{config['recipe']}`", data.replace("|", "/"),
            f"`{metrics['run']['command']}`", headline(config, metrics["test"]),
            f"{selection['epoch']} of {selection['epochs_done']}"
            + (" (from " + started + ")" if started else ""),
            _minutes(metrics["run"].get("train_seconds")),
            anchors.get(run, "none published") + " |"]))
    return "\n".join(lines)


def _loss_cell(row):
    """A run's test loss, `*` when it reached its target; for copy memory
    also its fraction of the memoryless baseline."""
    cell = f"{row['loss']:.4f}" + ("*" if row.get("solved") else "")
    if row["recipe"] == "copy_memory":
        cell += f" ({row['loss'] / (10 * math.log(8) / (row['length'] + 20)):.2f})"
    return cell


def long_range_table():
    summary = _read(LONG_RANGE)
    rows = summary["runs"]
    lengths = sorted({r["length"] for r in rows})
    header = ["task", "cell"] + [f"T = {t}" for t in lengths]
    lines = ["| " + " | ".join(header) + " |", "|---|---|" + "---:|" * len(lengths)]
    for recipe in dict.fromkeys(r["recipe"] for r in rows):
        baseline = ("MSE; the mean predictor: 0.167" if recipe == "adding_problem" else
                    "nats per step; in parentheses, its fraction of the memoryless baseline")
        for index, cell in enumerate(dict.fromkeys(r["cell"] for r in rows
                                                   if r["recipe"] == recipe)):
            task = f"{recipe.replace('_', ' ')} ({baseline})" if index == 0 else ""
            cells = []
            for t in lengths:
                match = [r for r in rows if (r["recipe"], r["cell"], r["length"])
                         == (recipe, cell, t)]
                cells.append(_loss_cell(match[0]) if match else "")
            lines.append("| " + " | ".join([task, cell, *cells]) + " |")
    return "\n".join(lines)


def user_task_figures(test, baseline):
    """`(rnnzoo's figure, the baseline's, whether rnnzoo is better)` of a
    user-file task, in words."""
    if "accuracy" in baseline:
        return (f"accuracy {100 * test['accuracy']:.2f} %",
                f"{baseline['baseline']}: {100 * baseline['accuracy']:.2f} %",
                test["accuracy"] > baseline["accuracy"])
    if "bits_per_char" in baseline:
        bits = test["cross_entropy"] / math.log(2)
        return (f"{bits:.3f} bits per char", f"{baseline['baseline']}: "
                f"{baseline['bits_per_char']:.3f} bits per char",
                bits < baseline["bits_per_char"])
    best = max(baseline["exact_match_copy"], baseline["exact_match_nearest"])
    return (f"exact match {100 * test['exact_match']:.2f} %",
            f"{baseline['baseline']}: exact match {100 * baseline['exact_match_copy']:.2f} % "
            f"and {100 * baseline['exact_match_nearest']:.2f} % (characters in place: "
            f"{100 * baseline['char_accuracy_nearest']:.1f} %)", test["exact_match"] > best)


def user_files_table():
    baselines = _read(BASELINES)
    lines = ["| task | data (train / test) | command | rnnzoo (test) | classical baseline "
             "| beaten | epoch selected, stop | training |",
             "|---|---|---|---|---|---|---|---|"]
    for task in sorted(baselines):
        folder = os.path.join(USER_FILES, task)
        if not os.path.isfile(os.path.join(folder, "metrics.json")):
            continue
        metrics = _read(os.path.join(folder, "metrics.json"))
        baseline, selection = baselines[task], metrics["selection"]
        ours, theirs, better = user_task_figures(metrics["test"], baseline)
        unit = "characters" if "bits_per_char" in baseline else "examples"
        lines.append(" | ".join([
            f"| `{task}`", f"{baseline['train']:,} / {baseline['test']:,} {unit}",
            f"`{metrics['run']['command']}`", ours, theirs, "yes" if better else "**no**",
            f"{selection['epoch']} of {selection['epochs_done']}, "
            f"{selection.get('stopped') or 'ceiling'}",
            _minutes(metrics["run"].get("train_seconds")) + " |"]))
    return "\n".join(lines)


def zoo_table():
    from rnnzoo.export import zoo

    return zoo.markdown(zoo.shipped(os.path.join(ROOT, "saved_models")))


TABLES = {"quality": quality_table, "long_range": long_range_table, "zoo": zoo_table,
          "user_files": user_files_table}


def marked(name):
    return re.compile(rf"(<!-- table:{name} -->\n)(.*?)(\n<!-- /table:{name} -->)", re.S)


def in_readme(name):
    """The table `name` as its README holds it, or `None`."""
    with open(os.path.join(ROOT, PLACES[name]), encoding="utf-8") as f:
        found = marked(name).search(f.read())
    return found.group(2) if found else None


def write(name, table):
    path = os.path.join(ROOT, PLACES[name])
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if not marked(name).search(text):
        raise SystemExit(f"{path} has no <!-- table:{name} --> markers")
    with open(path, "w", encoding="utf-8") as f:
        f.write(marked(name).sub(lambda m: m.group(1) + table + m.group(3), text))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="rewrite the READMEs' tables")
    parser.add_argument("tables", nargs="*", metavar="TABLE",
                        help=f"of {', '.join(TABLES)} (default: all)")
    args = parser.parse_args()
    unknown = sorted(set(args.tables) - set(TABLES))
    if unknown:
        parser.error(f"unknown table(s) {unknown}; known: {', '.join(TABLES)}")
    for name in args.tables or TABLES:
        table = TABLES[name]()
        if args.write:
            write(name, table)
            print(f"wrote {name} in {PLACES[name]}")
        else:
            print(f"{name}:\n{table}\n")


if __name__ == "__main__":
    main()
