"""Sweeps: a grid of runs of other recipes (`long_range`)."""

import os

from rnnzoo.recipe import check_value
from rnnzoo.recipe import find_recipe
from rnnzoo.run_folder import write_json
from rnnzoo.training import run


def _grid(value, default, kind):
    if not value:
        return tuple(default)
    try:
        return tuple(kind(v.strip()) for v in value.split(","))
    except ValueError:
        raise ValueError(f"Expected a comma-separated list; received {value!r}.") from None


def run_sweep(sweep, overrides=None, verbose=1):
    """Runs every recipe x cell x length of a `Sweep`; returns the summary.

    Each run goes to `RUN_DIR/<recipe>-<cell>-T<length>/` and resumes like
    any run; `summary.json` gets every run's test metrics after each run.
    """
    overrides = dict(overrides or {})
    cells = _grid(overrides.pop("cells", None), sweep.cells, str)
    given = overrides.pop("lengths", None)
    lengths = {name: _grid(given, sweep.lengths_of(name), int) for name in sweep.recipes}
    if overrides.get("smoke"):  # Smoke data have one length: one run per cell.
        lengths = {name: ts[:1] for name, ts in lengths.items()}
    for cell in cells:
        check_value("cell", cell)
    for length in {t for ts in lengths.values() for t in ts}:
        check_value("length", length)
    base = overrides.pop("run_dir", None) or os.path.join(
        overrides.get("output_dir", "runs"), sweep.name
    )
    rows = []
    for name in sweep.recipes:
        recipe = find_recipe(name)
        for cell in cells:
            for length in lengths[name]:
                run_dir = os.path.join(base, f"{name}-{cell}-T{length}")
                settings = {**sweep.settings, **overrides, "cell": cell,
                            "length": length, "run_dir": run_dir}
                result = run(recipe, settings, verbose=verbose)
                rows.append({"recipe": name, "cell": cell, "length": length,
                             **result.metrics["test"]})
                summary = {"runs": rows, "table": summary_table(rows)}
                os.makedirs(base, exist_ok=True)
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
