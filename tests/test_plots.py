"""Figures: every plot writes a valid PNG; `rnnzoo plot` on run folders."""

import argparse
import importlib.util
import json
import math
import struct
import sys

import numpy as np
import pytest

from rnnzoo.cli import plot as plots
from rnnzoo.cli import add_plot_command
from rnnzoo.train.recipe import SETTINGS
from rnnzoo.train.recipe import find_recipe

needs_matplotlib = pytest.mark.skipif(
    importlib.util.find_spec("matplotlib") is None, reason='needs matplotlib (pip install -e ".[plots]")')


def png_size(path):
    """`(width, height)` of a PNG file, checking its signature and that
    matplotlib decodes it into a picture that is not blank."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    import matplotlib.image

    pixels = matplotlib.image.imread(path)
    assert pixels.std() > 0.01, f"{path} is blank"
    width, height = struct.unpack(">II", data[16:24])
    assert pixels.shape[:2] == (height, width)
    return width, height


def pixels(inches):
    return tuple(round(v * plots.DPI) for v in inches)


HISTORY = {
    "loss": [2.0, 1.2, 0.9], "val_loss": [2.1, 1.4, 1.1],
    "accuracy": [0.2, 0.5, 0.7], "val_accuracy": [0.2, 0.45, 0.6],
    "learning_rate": [1e-3, 5e-4, 1e-4],
    "grad_norm": [3.0, 1.5, 1.0], "grad_norm_max": [9.0, 4.0, 2.0],
    "clipped_fraction": [0.9, 0.3, 0.1],
}


def flow_record(steps=12, epochs=(0, 2, 4), layers=("encoder_1", "decoder_1")):
    rows = lambda scale: [[scale * 0.7 ** (steps - t) for t in range(steps)] for _ in epochs]  # noqa: E731
    record = {"layers": list(layers), "epochs": list(epochs), "batch_size": 16, "every": 2,
              "flow": {name: rows(i + 1.0) for i, name in enumerate(layers)}}
    record["flow"][layers[-1]][0][:3] = [None, None, None]  # A shorter layer.
    return record


@needs_matplotlib
def test_learning_curves_png(tmp_path):
    path = plots.plot_learning_curves(HISTORY, str(tmp_path / "curves.png"), task="seq2seq",
                                      test={"loss": 1.0, "accuracy": 0.6, "sample": "text"})
    # loss, accuracy, learning rate, gradient norm, clipped: 3 + 2 panels.
    assert plots.learning_curves_size(HISTORY) == (13.5, 7.2)
    assert png_size(path) == pixels((13.5, 7.2))


@needs_matplotlib
def test_gradient_flow_png(tmp_path):
    path = plots.plot_gradient_flow(flow_record(), str(tmp_path / "flow.png"))
    assert png_size(path) == pixels((12, 2.4 * 2 + 3.4))


@needs_matplotlib
def test_gradient_flow_by_cell_png(tmp_path):
    flows = {f"panel {i}": {"elman": 0.2 ** np.arange(20)[::-1], "lstm": 0.9 ** np.arange(20)[::-1]}
             for i in range(3)}
    path = plots.plot_gradient_flow_by_cell(flows, str(tmp_path / "cells.png"))
    assert png_size(path) == pixels((12, 8.8))


@needs_matplotlib
def test_attention_png(tmp_path):
    rng = np.random.default_rng(0)
    examples = [{"weights": rng.dirichlet(np.ones(5), size=3), "source": list("12+34"),
                 "target": ["4", "6", "[END]"], "title": "'12+34' → '46'"}] * 3
    path = plots.plot_attention(examples, str(tmp_path / "attention.png"))
    assert png_size(path) == pixels((12.4, 9.6))


def sweep_rows(lengths=(10, 50, 100)):
    return [{"recipe": recipe, "cell": cell, "length": t, "loss": loss(t)}
            for recipe, loss in (("adding_problem", lambda t: 0.01 + t / 1000),
                                 ("copy_memory", lambda t: 10 * math.log(8) / (t + 20)))
            for cell in ("elman", "lstm") for t in lengths]


@needs_matplotlib
def test_long_range_png(tmp_path):
    path = plots.plot_long_range(sweep_rows(), str(tmp_path / "long_range.png"))
    assert png_size(path) == pixels((12, 4.6))


@needs_matplotlib
def test_plot_run_on_a_long_range_sweep_folder(tmp_path):
    rows = sweep_rows()
    (tmp_path / "summary.json").write_text(json.dumps({"runs": rows, "table": ""}))
    for cell in ("elman", "lstm"):
        run = tmp_path / f"copy_memory-{cell}-T100"
        run.mkdir()
        record = flow_record(steps=100, epochs=(0, 5), layers=("recurrent_1",))
        (run / "gradient_flow.json").write_text(json.dumps(record))
    paths = plots.plot_run(str(tmp_path), str(tmp_path / "figures"))
    assert [p.rsplit("/", 1)[1] for p in paths] == ["long_range.png", "gradient_flow_by_cell.png"]
    assert png_size(paths[1]) == pixels((12, 4.4))  # init and trained panels.
    for path in paths:
        png_size(path)


def test_a_folder_without_data_is_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing to plot"):
        plots.plot_run(str(tmp_path))


def test_missing_matplotlib_names_the_extra(tmp_path, monkeypatch):
    for name in ("matplotlib", "matplotlib.figure", "matplotlib.colors", "matplotlib.ticker"):
        monkeypatch.setitem(sys.modules, name, None)
    calls = [
        lambda path: plots.plot_long_range(sweep_rows(), path),
        lambda path: plots.plot_learning_curves(HISTORY, path),
        lambda path: plots.plot_gradient_flow(flow_record(), path),
        lambda path: plots.plot_gradient_flow_by_cell({"p": {"lstm": [1.0, 2.0]}}, path),
        lambda path: plots.plot_attention([{"weights": [[1.0]], "source": ["a"],
                                            "target": ["b"]}], path),
    ]
    for call in calls:
        with pytest.raises(plots.PlotsUnavailableError, match=r'pip install -e "\.\[plots\]"'):
            call(str(tmp_path / "x.png"))
    assert not (tmp_path / "x.png").exists()
    (tmp_path / "summary.json").write_text(json.dumps({"runs": sweep_rows()}))
    from rnnzoo.cli.plot import UsageError, command_plot

    with pytest.raises(UsageError, match=r'pip install -e "\.\[plots\]"'):
        command_plot(argparse.Namespace(run_dir=str(tmp_path), out=None, examples=2))


@pytest.fixture(scope="module")
def attention_run(tmp_path_factory):
    """A smoke run of `addition` with a Bahdanau-attention Seq2Seq, with
    gradient flow recorded (through the engine once it has the setting)."""
    from rnnzoo.train.engine import run

    settings = {"smoke": True, "output_dir": str(tmp_path_factory.mktemp("runs")),
                "data_dir": str(tmp_path_factory.mktemp("tfds")),
                "model": "seq2seq_gru_bidirectional_bahdanau_base", "num_layers": 1}
    wired = "gradient_flow" in SETTINGS
    if wired:
        settings["gradient_flow"] = 1
    result = run(find_recipe("addition"), settings, verbose=0)
    if not wired:
        from rnnzoo.train.callbacks import GradientFlow

        inputs = {"source_ids": np.array([[4, 5, 6, 7]] * 2),
                  "target_ids": np.array([[2, 5, 6]] * 2)}
        batch = (inputs, np.array([[5, 6, 3]] * 2))
        callback = GradientFlow(batch, result.run_dir)
        callback.set_model(result.model)
        callback.on_train_begin()
        callback.measure(0)
        callback.measure(1)
    return result.run_dir


def plot_parser():
    parser = argparse.ArgumentParser(prog="rnnzoo")
    add_plot_command(parser.add_subparsers(dest="command"))
    return parser


@needs_matplotlib
def test_plot_command_on_a_smoke_run(attention_run, tmp_path, capsys):
    args = plot_parser().parse_args(["plot", attention_run, "--out", str(tmp_path), "--examples", "2"])
    assert args.handler(args) == 0
    names = ["learning_curves.png", "gradient_flow.png", "attention.png"]
    assert capsys.readouterr().out.split() == [
        w for name in names for w in ("wrote", str(tmp_path / name))]
    history = json.load(open(f"{attention_run}/metrics.json"))["history"]
    assert png_size(tmp_path / "learning_curves.png") == pixels(plots.learning_curves_size(history))
    assert png_size(tmp_path / "gradient_flow.png") == pixels((12, 2.4 * 3 + 3.4))
    assert png_size(tmp_path / "attention.png") == pixels((12.4, 4.8))


@needs_matplotlib
def test_rnnzoo_plot_through_the_cli(attention_run, tmp_path):
    from rnnzoo import cli

    if "plot" not in cli.build_parser().format_help():
        pytest.skip("`rnnzoo plot` is not wired into rnnzoo/cli.py yet")
    assert cli.main(["plot", attention_run, "--out", str(tmp_path)]) == 0
    assert (tmp_path / "attention.png").exists()
