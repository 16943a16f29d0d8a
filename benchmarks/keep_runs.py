"""Keeps the small JSON files of finished runs in the repository.

A run folder holds checkpoints and a model (megabytes) and is not kept; its
`config.json`, `metrics.json` (and `gradient_flow.json`, when measured) are
what README's tables and figures are made from.

    # one run, as benchmarks/results/quality/NAME/
    python benchmarks/keep_runs.py runs/mr100k_finetuned --name mr100k_finetuned
    # a sweep: summary.json and every run folder under it
    python benchmarks/keep_runs.py runs/long_range --to benchmarks/results/long_range
"""

import argparse
import os
import shutil

KEPT = ("config.json", "metrics.json", "gradient_flow.json", "summary.json")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def keep(source, target):
    """Copies the kept files of `source` (and of each run folder in it)
    to `target`; returns the paths written."""
    written = []
    for folder, _, files in os.walk(source):
        relative = os.path.relpath(folder, source)
        if relative.split(os.sep)[0] in ("checkpoints", "logs", "plots"):
            continue
        for name in files:
            if name in KEPT:
                os.makedirs(os.path.join(target, relative), exist_ok=True)
                path = os.path.normpath(os.path.join(target, relative, name))
                shutil.copyfile(os.path.join(folder, name), path)
                written.append(path)
    return written


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", help="a run folder or a sweep folder")
    parser.add_argument("--name", help="keep as benchmarks/results/quality/NAME")
    parser.add_argument("--to", help="keep in this folder instead")
    args = parser.parse_args()
    if not (args.name or args.to):
        parser.error("give --name or --to")
    target = args.to or os.path.join(ROOT, "benchmarks", "results", "quality", args.name)
    for path in keep(args.source, target):
        print("kept", path)


if __name__ == "__main__":
    main()
