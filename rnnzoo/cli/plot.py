"""Figures of a run as PNG files: learning curves, gradient flow through
time, attention maps, and the `long_range` sweep.

Needs matplotlib, the optional `plots` extra (`pip install -e ".[plots]"` in a clone),
imported only when a figure is drawn. `rnnzoo plot RUN_DIR [--out DIR]`
draws every figure a run folder (or a `long_range` sweep folder) has data
for. Figures are drawn on their own `matplotlib.figure.Figure`, without
pyplot's global state, at `DPI` dots per inch and a fixed size in inches,
so a figure of `(w, h)` inches is a `w * DPI` x `h * DPI` pixel PNG.
"""

import math
import os

import numpy as np

from rnnzoo.cli.run import run_dir_of
from rnnzoo.errors import UsageError

INSTALL_HINT = 'pip install -e ".[plots]" in your rnnzoo clone (or pip install matplotlib)'
DPI = 100
TASK_LOSS = {
    "classification": "cross-entropy (nats per example)",
    "regression": "mean squared error (target units²)",
    "forecasting": "mean squared error (normalized units²)",
}
TOKEN_LOSS = "cross-entropy (nats per token)"
METRIC_LABELS = {
    "accuracy": "accuracy (fraction correct)",
    "mae": "mean absolute error (target units)",
    "learning_rate": "learning rate",
    "grad_norm": "gradient L2 norm, before clipping",
    "clipped_fraction": "steps clipped (fraction)",
}
CURVE_LABELS = {"learning_rate": "schedule", "grad_norm": "mean over the epoch's steps"}
#: Test loss of a model without memory, per `long_range` recipe and T.
BASELINES = {
    "adding_problem": ("predict the mean: MSE 0.167", lambda t: 1 / 6),
    "copy_memory": ("no memory: 10 log 8 / (T + 20)", lambda t: 10 * math.log(8) / (t + 20)),
}
SWEEP_LOSS = {"adding_problem": "test MSE", "copy_memory": "test cross-entropy (nats per step)"}
FLOW_LABEL = "‖∂L/∂h_t‖ (log scale)"


class PlotsUnavailableError(ImportError):
    """matplotlib, the `plots` extra, is not installed."""


def _figure(width, height):
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise PlotsUnavailableError(
            f"rnnzoo's plots need matplotlib, the `plots` extra: {INSTALL_HINT}"
        ) from None
    return Figure(figsize=(width, height), dpi=DPI, layout="constrained")


def _save(figure, path):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    figure.savefig(path, dpi=DPI, format="png")
    return path


def _grid(figure, count, columns):
    rows = -(-count // columns)
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    for ax in axes[count:]:
        ax.set_visible(False)
    return axes[:count]


def learning_curves_size(history):
    """`(width, height)` in inches of `plot_learning_curves(history)`."""
    panels = len(_curve_panels(history))
    columns = min(3, panels)
    return 4.5 * columns, 3.6 * -(-panels // columns)


def _curve_panels(history):
    keys = [k for k in history if not k.startswith("val_") and k != "grad_norm_max"]
    first = [k for k in ("loss",) if k in keys]
    last = [k for k in ("learning_rate", "grad_norm", "clipped_fraction") if k in keys]
    return first + sorted(set(keys) - set(first) - set(last)) + last


def plot_learning_curves(history, path, title="Learning curves", task=None, test=None):
    """Loss and metrics per epoch, train against validation: one panel per
    metric of `history` (`metrics.json`'s `"history"`: `{"loss": [...],
    "val_loss": [...], ...}`), with the `test` value (dict) as a dotted
    line. `task` names the loss's unit. Returns `path`."""
    panels = _curve_panels(history)
    if not panels:
        raise ValueError("The history has no metric to plot.")
    figure = _figure(*learning_curves_size(history))
    for ax, key in zip(_grid(figure, len(panels), min(3, len(panels))), panels):
        epochs = np.arange(1, len(history[key]) + 1)
        ax.plot(epochs, history[key], "o-", label=CURVE_LABELS.get(key, "train"))
        if f"val_{key}" in history:
            ax.plot(epochs, history[f"val_{key}"], "s--", label="validation")
        if key == "grad_norm" and "grad_norm_max" in history:
            ax.plot(epochs, history["grad_norm_max"], "^:", label="largest step")
        if test and isinstance(test.get(key), (int, float)):
            ax.axhline(test[key], color="gray", linestyle=":", label=f"test {test[key]:.4g}")
        loss = TASK_LOSS.get(task, TOKEN_LOSS if task else "loss")
        ax.set(title=key.replace("_", " "), xlabel="epoch",
               ylabel=loss if key == "loss" else METRIC_LABELS.get(key, key))
        if key == "learning_rate":
            ax.ticklabel_format(axis="y", style="sci", scilimits=(-2, 2))
        _integer_ticks(ax.xaxis)
        if len(epochs) <= 10:
            ax.set_xticks(epochs)
        ax.set_xlim(0.5, len(epochs) + 0.5)
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    figure.suptitle(title, wrap=True)
    return _save(figure, path)


def _integer_ticks(axis):
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True))


def _edges(values):
    """Cell edges around sorted `values` for `pcolormesh`."""
    values = np.asarray(values, dtype=float)
    if len(values) == 1:
        return np.array([values[0] - 0.5, values[0] + 0.5])
    middle = (values[1:] + values[:-1]) / 2
    return np.concatenate([[2 * values[0] - middle[0]], middle, [2 * values[-1] - middle[-1]]])


def _flow_table(rows):
    return np.array([[np.nan if v is None else v for v in row] for row in rows], dtype=float)


def _log_norm(tables):
    from matplotlib.colors import LogNorm

    values = np.concatenate([t[np.isfinite(t) & (t > 0)] for t in tables] + [np.ones(0)])
    if not len(values):
        return LogNorm(1e-8, 1.0)
    return LogNorm(values.min(), max(values.max(), values.min() * 1.01))


def plot_gradient_flow(record, path, title="Gradient flow through time"):
    """Heat maps of `||dL/dh_t||` over time step and epoch (log colour
    scale), one per recurrent layer, and the last measurement's profile of
    every layer as lines. `record` is a `gradient_flow.json` dict (see
    `rnnzoo.train.callbacks.GradientFlow`). Returns `path`."""
    layers, epochs = record["layers"], record["epochs"]
    figure = _figure(12, 2.4 * len(layers) + 3.4)
    import matplotlib

    tables = [_flow_table(record["flow"][name]) for name in layers]
    norm = _log_norm(tables)
    cmap = matplotlib.colormaps["magma"].with_extremes(bad="lightgray")
    axes = figure.subplots(len(layers) + 1, 1, squeeze=False).ravel()
    for ax, name, table in zip(axes, layers, tables):
        steps = np.arange(1, table.shape[1] + 1)
        mesh = ax.pcolormesh(_edges(steps), _edges(epochs), np.ma.masked_invalid(table),
                             norm=norm, cmap=cmap)
        gaps = " (gray: no step, or padding only)" if np.any(~(table > 0)) else ""
        ax.set(title=f"layer {name}{gaps}", xlabel="time step t (1 = first input)",
               ylabel="epoch (0 = init)")
        _integer_ticks(ax.xaxis)
        _integer_ticks(ax.yaxis)
        if len(epochs) <= 12:
            ax.set_yticks(epochs)
    figure.colorbar(mesh, ax=list(axes[:-1]), label="‖∂L/∂h_t‖ (loss per unit of state)")
    profile = axes[-1]
    for name, table in zip(layers, tables):
        steps = np.arange(1, table.shape[1] + 1)
        line, = profile.plot(steps, table[-1], ".-", label=f"{name}, epoch {epochs[-1]}")
        if len(epochs) > 1:
            profile.plot(steps, table[0], ":", color=line.get_color(),
                         label=f"{name}, epoch {epochs[0]}")
    profile.set(yscale="log", title="first and last measurement",
                xlabel="time step t (1 = first input)", ylabel=FLOW_LABEL)
    _integer_ticks(profile.xaxis)
    profile.grid(alpha=0.3, which="both")
    profile.legend(fontsize="small", title="layer", loc="upper left", bbox_to_anchor=(1.01, 1))
    figure.suptitle(f"{title}\non a batch of {record.get('batch_size', '?')} validation examples",
                    wrap=True)
    return _save(figure, path)


def plot_gradient_flow_by_cell(flows, path, title="Gradient flow by cell"):
    """`||dL/dh_t|| / ||dL/dh_T||` against the distance `T - t` from the
    last step, one line per cell. `flows` maps a panel title to `{cell:
    array (steps,)}` (see `sweep_gradient_flows`). Returns `path`."""
    figure = _figure(6 * min(2, len(flows)), 4.4 * -(-len(flows) // 2))
    for ax, (panel, cells) in zip(_grid(figure, len(flows), min(2, len(flows))), flows.items()):
        for cell, flow in cells.items():
            flow = np.asarray(flow, dtype=float)
            distance = np.arange(len(flow))[::-1]
            ax.plot(distance, flow / flow[-1] if flow[-1] > 0 else flow, label=cell)
        ax.set(yscale="log", title=panel, xlabel="steps back from the last step (T − t)",
               ylabel="‖∂L/∂h_t‖ / ‖∂L/∂h_T‖ (log scale)")
        ax.grid(alpha=0.3, which="both")
        ax.legend(title="cell")
    figure.suptitle(title, wrap=True)
    return _save(figure, path)


def plot_long_range(rows, path, title="Long-range memory: test loss against sequence length T"):
    """The test loss reached against T, one line per cell and a panel per
    recipe, with the memoryless baseline. `rows` are `summary.json`'s
    `"runs"` (`recipe`, `cell`, `length`, `loss`...). Returns `path`."""
    recipes = list(dict.fromkeys(r["recipe"] for r in rows))
    figure = _figure(6 * len(recipes), 4.6)
    for ax, recipe in zip(figure.subplots(1, len(recipes), squeeze=False).ravel(), recipes):
        mine = [r for r in rows if r["recipe"] == recipe]
        lengths = sorted({r["length"] for r in mine})
        for cell in dict.fromkeys(r["cell"] for r in mine):
            points = sorted((r["length"], r["loss"]) for r in mine if r["cell"] == cell)
            ax.plot(*zip(*points), "o-", label=cell)
        if recipe in BASELINES:
            label, baseline = BASELINES[recipe]
            grid = np.geomspace(min(lengths), max(lengths), 50) if len(lengths) > 1 else lengths
            ax.plot(grid, [baseline(t) for t in grid], "k--", lw=1, label=label)
        ax.set(xscale="log" if len(lengths) > 1 else "linear", title=recipe.replace("_", " "),
               xlabel="sequence length T (steps, log scale)",
               ylabel=SWEEP_LOSS.get(recipe, "test loss") + " (lower is better)")
        ax.set_xticks(lengths, [str(t) for t in lengths])
        ax.minorticks_off()
        ax.grid(alpha=0.3)
        ax.legend(title="cell", fontsize="small")
    figure.suptitle(title, wrap=True)
    return _save(figure, path)


def plot_attention(examples, path, title="Attention"):
    """Source x target heat maps of attention weights, one per example.
    `examples` is a list of dicts with `"weights"` `(target steps, source
    steps)`, `"source"` and `"target"` token lists, and a `"title"`.
    Returns `path`."""
    columns = min(2, len(examples))
    figure = _figure(6.2 * columns, 4.8 * -(-len(examples) // columns))
    axes = _grid(figure, len(examples), columns)
    for ax, example in zip(axes, examples):
        weights = np.asarray(example["weights"], dtype=float)
        image = ax.imshow(weights, vmin=0, vmax=1, cmap="viridis", aspect="auto")
        ax.set_xticks(range(len(example["source"])), example["source"])
        ax.set_yticks(range(len(example["target"])), example["target"])
        ax.set(xlabel="source token (encoder step)", ylabel="generated token (decoder step)",
               title=example.get("title", ""))
    figure.colorbar(image, ax=list(axes), label="attention weight (each row sums to 1)")
    figure.suptitle(title, wrap=True)
    return _save(figure, path)


def _read(path):
    from rnnzoo.train.run_folder import read_json_if_exists

    return read_json_if_exists(path)


def sweep_gradient_flows(sweep_dir, summary):
    """`{panel title: {cell: flow}}` of a `long_range` sweep's runs that
    recorded gradient flow (`--gradient-flow`): per recipe, at the longest
    T recorded, the first recurrent layer at initialization and after the
    last measured epoch."""
    panels = {}
    for recipe in dict.fromkeys(r["recipe"] for r in summary["runs"]):
        found = {}
        for row in (r for r in summary["runs"] if r["recipe"] == recipe):
            record = _read(os.path.join(
                sweep_dir, f"{recipe}-{row['cell']}-T{row['length']}", "gradient_flow.json"))
            if record:
                found.setdefault(row["length"], {})[row["cell"]] = record
        if not found:
            continue
        length = max(found)
        for when, index in (("at initialization", 0), ("after training", -1)):
            cells = {}
            for cell, record in found[length].items():
                epoch = record["epochs"][index]
                if index == 0 and epoch != 0:
                    continue
                label = cell if index == 0 else f"{cell} (epoch {epoch})"
                cells[label] = _flow_table(record["flow"][record["layers"][0]])[index]
            if cells:
                panels[f"{recipe.replace('_', ' ')}, T = {length}, {when}"] = cells
    return panels


def attention_examples(run_dir, count=4):
    """Attention maps of the first `count` test examples of a `Seq2Seq`
    run with attention, decoded greedily: a list for `plot_attention`."""
    from rnnzoo.train.evaluation import detokenize
    from rnnzoo.train.evaluation import vocabulary
    from rnnzoo.train.recipe import find_recipe
    from rnnzoo.train.run_data import load_data
    from rnnzoo.train.run_folder import RunFolder

    folder = RunFolder(run_dir)
    model, run_config = folder.load_model(), folder.config()
    config, settings = model.get_config(), run_config["settings"]
    vectorizers = folder.vectorizers()
    data = load_data(find_recipe(run_config["recipe"]), settings)
    inputs, _ = next(iter(data.test))
    source = np.asarray(inputs["source_ids"])[:count]
    tokens, _, weights = model.generate(
        source, max_length=settings["max_new_tokens"], return_attention=True)
    words = {side: vocabulary(vectorizers[side]) for side in ("source", "target")}
    separator = "" if (run_config["data"].get("tokens") or "char") == "char" else " "
    examples = []
    for ids, out, w in zip(source, tokens, weights):
        src = [words["source"][i] for i in ids if i != 0]
        tgt = []
        for i in out:
            tgt.append(words["target"][i] if i < len(words["target"]) else "[UNK]")
            if i == config["end_id"] or i == 0:
                break
        examples.append({
            "weights": w[: len(tgt), : len(src)], "source": src, "target": tgt,
            "title": f"{detokenize(ids, words['source'], separator)!r} → "
                     f"{detokenize(out, words['target'], separator, config['end_id'])!r}",
        })
    return examples


def plot_run(run_dir, out_dir=None, examples=4):
    """Draws every figure `run_dir` has data for into `out_dir` (default
    `RUN_DIR/plots`): `learning_curves.png` (metrics.json),
    `gradient_flow.png` (gradient_flow.json), `attention.png` (a Seq2Seq
    with attention), and for a `long_range` sweep folder (summary.json)
    `long_range.png` and `gradient_flow_by_cell.png`. Returns the paths."""
    if not os.path.isdir(run_dir):
        raise FileNotFoundError(f"{run_dir} is not a folder.")
    out_dir = out_dir or os.path.join(run_dir, "plots")
    out = lambda name: os.path.join(out_dir, name)  # noqa: E731
    name = os.path.basename(os.path.normpath(run_dir))
    paths = []
    summary = _read(os.path.join(run_dir, "summary.json"))
    if summary and summary.get("runs"):
        paths.append(plot_long_range(summary["runs"], out("long_range.png")))
        flows = sweep_gradient_flows(run_dir, summary)
        if flows:
            paths.append(plot_gradient_flow_by_cell(
                flows, out("gradient_flow_by_cell.png"),
                title=f"Gradient reaching step t, relative to the last step ({name})"))
    config = _read(os.path.join(run_dir, "config.json")) or {}
    metrics = _read(os.path.join(run_dir, "metrics.json")) or {}
    described = f"{name} ({config.get('model_class', 'model')}, " \
        f"{config.get('model_config', {}).get('cell', '?')} cell)"
    if metrics.get("history"):
        paths.append(plot_learning_curves(
            metrics["history"], out("learning_curves.png"), f"Learning curves: {described}",
            task=config.get("task"), test=metrics.get("test")))
    record = _read(os.path.join(run_dir, "gradient_flow.json"))
    if record:
        paths.append(plot_gradient_flow(
            record, out("gradient_flow.png"), f"Gradient flow through time: {described}"))
    if config.get("model_class") == "Seq2Seq" and config["model_config"].get("attention"):
        paths.append(plot_attention(
            attention_examples(run_dir, examples), out("attention.png"),
            f"Attention of {described}, test examples"))
    if not paths:
        raise FileNotFoundError(
            f"{run_dir} has nothing to plot: no metrics.json history, "
            "gradient_flow.json or summary.json.")
    return paths


def command_plot(args):
    try:
        paths = plot_run(args.run_dir, args.out, args.examples)
    except (PlotsUnavailableError, FileNotFoundError) as error:
        # plot_run: no matplotlib; RUN_DIR missing or with nothing to plot.
        raise UsageError(str(error)) from None
    for path in paths:
        print(f"wrote {path}")
    return 0


def add_plot_command(commands):
    """`rnnzoo plot RUN_DIR [--out DIR] [--examples N]`."""
    plot = commands.add_parser(
        "plot", help="draw a run folder's figures as PNG files (needs matplotlib)",
        description="Draws learning curves, gradient flow through time, attention "
        "maps, and the long_range figures of a run or sweep folder as PNG files. "
        f"Needs matplotlib: {INSTALL_HINT}")
    plot.add_argument("run_dir", help="a run folder, or a long_range sweep folder")
    plot.add_argument("--out", default=None, metavar="DIR",
                      help="folder of the PNG files (default RUN_DIR/plots)")
    plot.add_argument("--examples", type=int, default=4, metavar="N",
                      help="test examples in the attention figure (default 4)")
    plot.set_defaults(handler=command_plot, run_folder=run_dir_of)
