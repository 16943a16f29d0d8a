"""The rnnzoo TFDS builders, generated for real: exact examples for a seed."""

import numpy as np
import pytest
import tensorflow_datasets as tfds

from rnnzoo import data


def _examples(name, split, data_dir, count=None, **kwargs):
    ds = tfds.load(name, split=split, data_dir=data_dir, **kwargs)
    if count is not None:
        ds = ds.take(count)
    return list(tfds.as_numpy(ds))


def test_builders_are_registered_under_rnnzoo_names():
    names = tfds.list_builders()
    for name in ("rnnzoo_addition", "rnnzoo_adding_problem", "rnnzoo_copy_memory"):
        assert name in names
    assert tfds.builder_cls("rnnzoo_addition") is data.RnnzooAddition


def test_addition_d3_first_examples(builder_dir):
    test = _examples("rnnzoo_addition/d3", "test", builder_dir, 3)
    assert [(e["question"], e["answer"]) for e in test] == [
        (b"516+977", b"1493"), (b"548+760", b"1308"), (b"94+857", b"951"),
    ]
    train = _examples("rnnzoo_addition/d3", "train", builder_dir, 2)
    assert [(e["question"], e["answer"]) for e in train] == [
        (b"652+0", b"652"), (b"0+8", b"8"),
    ]


def test_addition_d3_splits_and_questions(builder_dir):
    builder = tfds.builder("rnnzoo_addition/d3", data_dir=builder_dir)
    builder.download_and_prepare()
    splits = builder.info.splits
    assert [splits[s].num_examples for s in ("train", "validation", "test")] == [
        45_000, 2_500, 2_500,
    ]
    questions = set()
    for split in ("train", "validation", "test"):
        for example in tfds.as_numpy(builder.as_dataset(split=split)):
            a, b = (int(x) for x in example["question"].split(b"+"))
            assert int(example["answer"]) == a + b
            assert 0 <= a < 1000 and 0 <= b < 1000
            questions.add((min(a, b), max(a, b)))
    # a+b and b+a are one question, and no question is in two splits.
    assert len(questions) == 50_000


def test_addition_reversed_reverses_the_question_only(builder_dir):
    plain = _examples("rnnzoo_addition/d3", "test", builder_dir, 3)
    rev = _examples("rnnzoo_addition/d3_reversed", "test", builder_dir, 3)
    assert rev[0]["question"] == b"779+615"
    for p, r in zip(plain, rev):
        assert r["question"] == p["question"][::-1]
        assert r["answer"] == p["answer"]


def test_adding_problem_exact_example(builder_dir):
    config = data.AddingProblemConfig.make(
        length=10, train_size=4, validation_size=2, test_size=2
    )
    assert config.name == "t10_n4-2-2"
    [first, _] = _examples("rnnzoo_adding_problem", "test", builder_dir,
                           builder_kwargs={"config": config})
    features = first["features"]
    assert features.shape == (10, 2) and features.dtype == np.float32
    np.testing.assert_allclose(
        features[:, 0],
        [0.84031135, 0.6884467, 0.704001, 0.38892138, 0.8751561,
         0.13509649, 0.57890344, 0.7214883, 0.84548056, 0.52535427],
        rtol=1e-6,
    )
    assert features[:, 1].tolist() == [0, 0, 1, 0, 0, 0, 0, 0, 1, 0]
    assert first["target"] == pytest.approx(0.704001 + 0.84548056, rel=1e-6)


def test_adding_problem_markers_one_per_half(builder_dir):
    for example in _examples("rnnzoo_adding_problem/t10", "validation",
                             builder_dir, 200):
        values, markers = example["features"].T
        assert markers.sum() == 2
        assert markers[:5].sum() == 1 and markers[5:].sum() == 1
        assert example["target"] == pytest.approx(values[markers == 1].sum())
        assert ((values >= 0) & (values < 1)).all()


def test_copy_memory_exact_layout(builder_dir):
    config = data.CopyMemoryConfig.make(
        length=5, copy_length=3, train_size=4, validation_size=2, test_size=2
    )
    [first, _] = _examples("rnnzoo_copy_memory", "test", builder_dir,
                           builder_kwargs={"config": config})
    # s1 s2 s3 | blank x (T-1) | delimiter | blank x n
    assert first["inputs"].tolist() == [4, 7, 2, 8, 8, 8, 8, 9, 8, 8, 8]
    # blank x (T + n) | s1 s2 s3
    assert first["targets"].tolist() == [8, 8, 8, 8, 8, 8, 8, 8, 4, 7, 2]


def test_copy_memory_t100_layout(builder_dir):
    for example in _examples("rnnzoo_copy_memory/t100", "test", builder_dir, 20):
        inputs, targets = example["inputs"], example["targets"]
        assert inputs.shape == targets.shape == (120,)
        assert (inputs[:10] < 8).all()
        assert (inputs[10:109] == 8).all() and inputs[109] == 9
        assert (inputs[110:] == 8).all()
        assert (targets[:110] == 8).all()
        assert (targets[110:] == inputs[:10]).all()


def test_same_seed_same_data_other_seed_other_data(tmp_path):
    def first(seed, folder):
        config = data.AddingProblemConfig.make(
            length=10, train_size=2, validation_size=1, test_size=1, seed=seed
        )
        return _examples("rnnzoo_adding_problem", "train", str(tmp_path / folder),
                         1, builder_kwargs={"config": config})[0]["features"]

    np.testing.assert_array_equal(first(0, "a"), first(0, "b"))
    assert not np.array_equal(first(0, "a"), first(1, "c"))


def test_config_names_and_checks():
    assert data.AdditionConfig.make(digits=3, reversed=True).name == "d3_reversed"
    assert data.AdditionConfig.make(digits=4, train_size=10, validation_size=5,
                                    test_size=5, seed=2).name == "d4_n10-5-5_seed2"
    assert data.CopyMemoryConfig.make(length=50, copy_length=5).name == "t50_copy5"
    with pytest.raises(ValueError, match="distinct questions"):
        data.AdditionConfig.make(digits=1)
    with pytest.raises(ValueError, match="length"):
        data.AddingProblemConfig.make(length=1)
    with pytest.raises(ValueError, match="train_size"):
        data.CopyMemoryConfig.make(train_size=0)
    predefined = {c.name for c in data.RnnzooCopyMemory.BUILDER_CONFIGS}
    assert predefined == {"t10", "t50", "t100", "t200", "t500"}
