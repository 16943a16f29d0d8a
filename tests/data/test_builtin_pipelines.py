"""`load` on the built-in builders: the batches the models receive."""

import math

import numpy as np
import pytest

from rnnzoo import data


def test_addition_batches_exact_ids(builder_dir):
    task = data.load("addition", batch_size=3, data_dir=builder_dir)
    assert task.task == "seq2seq"
    inputs, targets = next(iter(task.test))
    # "516+977" -> "1493", "548+760" -> "1308", "94+857" -> "951":
    # source "0"-"9" -> 2-11, "+" -> 12; target [START] 2, [END] 3, "0"-"9" -> 4-13.
    assert inputs["source_ids"].numpy().tolist() == [
        [7, 3, 8, 12, 11, 9, 9],
        [7, 6, 10, 12, 9, 8, 2],
        [11, 6, 12, 10, 7, 9, 0],
    ]
    assert inputs["target_ids"].numpy().tolist() == [
        [2, 5, 8, 13, 7], [2, 5, 7, 4, 12], [2, 13, 9, 5, 0],
    ]
    assert targets.numpy().tolist() == [
        [5, 8, 13, 7, 3], [5, 7, 4, 12, 3], [13, 9, 5, 3, 0],
    ]
    assert task.start_id == 2 and task.end_id == 3
    assert task.source_vocabulary_size == 13
    assert task.target_vocabulary_size == 14
    assert task.info["split_sizes"] == {"train": 45_000, "validation": 2_500,
                                        "test": 2_500}
    assert inputs["source_ids"].dtype.name == "int32"


def test_addition_vectorizers_reproduce_the_ids(builder_dir):
    task = data.load("addition", batch_size=3, data_dir=builder_dir)
    source = task.vectorizers["source"](["516+977"]).numpy().tolist()
    assert source == [[7, 3, 8, 12, 11, 9, 9]]
    target = task.vectorizers["target"]
    assert target.get_vocabulary()[:5] == ["", "[UNK]", "[START]", "[END]", "0"]


def test_addition_reversed_smoke(tmp_path):
    task = data.load("addition", reversed=True, smoke=True, batch_size=100,
                     data_dir=str(tmp_path))
    assert task.info["config"] == "d3_reversed_n64-16-16"
    sizes = [int(x["source_ids"].shape[0]) for x, _ in task.train]
    assert sum(sizes) == 64


def test_adding_problem_regression_batches(tmp_path):
    task = data.load("adding_problem", length=20, smoke=True, batch_size=8,
                     data_dir=str(tmp_path))
    assert task.task == "regression"
    inputs, targets = next(iter(task.validation))
    assert inputs["features"].shape == (8, 20, 2)
    assert inputs["features"].dtype.name == "float32"
    assert targets.shape == (8, 1) and targets.dtype.name == "float32"
    values, markers = inputs["features"][..., 0], inputs["features"][..., 1]
    np.testing.assert_allclose(
        np.sum(values * markers, axis=1, keepdims=True), targets, rtol=1e-6
    )
    assert task.info["baseline_mse"] == pytest.approx(1 / 6)


def test_copy_memory_ids_are_shifted_by_two(tmp_path):
    task = data.load("copy_memory", length=5, copy_length=3, smoke=True,
                     batch_size=4, data_dir=str(tmp_path))
    assert task.task == "tagging"
    assert task.label_names == ["", "[UNK]", "0", "1", "2", "3", "4", "5", "6",
                                "7", "-", ":"]
    assert task.vocabulary_size == task.num_tags == 12
    inputs, targets = next(iter(task.test))
    ids, targets = inputs["token_ids"].numpy(), targets.numpy()
    assert ids.shape == targets.shape == (4, 11)
    assert ((ids[:, :3] >= 2) & (ids[:, :3] <= 9)).all()
    assert (ids[:, 3:7] == 10).all() and (ids[:, 7] == 11).all()
    assert (ids[:, 8:] == 10).all()
    assert (targets[:, :8] == 10).all()
    assert (targets[:, 8:] == ids[:, :3]).all()
    lookup = task.vectorizers["tokens"]
    assert lookup(["-", ":", "0"]).numpy().tolist() == [10, 11, 2]
    assert task.info["baseline_loss"] == pytest.approx(3 * math.log(8) / 11)


def test_builtin_rejects_bad_settings(tmp_path):
    with pytest.raises(ValueError, match="Bad settings"):
        data.load("addition", smoke=True, colour="red", data_dir=str(tmp_path))
    with pytest.raises(ValueError, match="tokens"):
        data.load("copy_memory", tokens="word", smoke=True)
    with pytest.raises(ValueError, match="batch_size"):
        data.load("addition", batch_size=0)
    with pytest.raises(ValueError, match="Unknown dataset"):
        data.load("mnist")
