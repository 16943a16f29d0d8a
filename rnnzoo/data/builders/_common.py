"""What the synthetic TFDS builders share: sizes, seed and config names."""

import dataclasses

import numpy as np
import tensorflow_datasets as tfds

from rnnzoo.checks import check_positive_int

SPLITS = ("train", "validation", "test")


@dataclasses.dataclass(eq=False, kw_only=True)
class SyntheticConfig(tfds.core.BuilderConfig):
    """A `tfds.core.BuilderConfig` with split sizes and a generation seed.

    The examples of all three splits are drawn from one random stream seeded
    with `seed`, so a config always holds the same examples.

    Args:
        train_size: number of training examples.
        validation_size: number of validation examples.
        test_size: number of test examples.
        seed: seed of the random generator (`numpy.random.default_rng`).
    """

    train_size: int = 10_000
    validation_size: int = 1_000
    test_size: int = 1_000
    seed: int = 0

    @property
    def split_sizes(self):
        return {
            "train": self.train_size,
            "validation": self.validation_size,
            "test": self.test_size,
        }


def config_name(stem, sizes, default_sizes, seed):
    """Names a config: `stem` alone for default sizes and seed 0.

    Otherwise the sizes and the seed are spelled out, so that two different
    configs never share a folder: `t100_n500-50-50_seed3`.
    """
    name = stem
    if tuple(sizes) != tuple(default_sizes):
        name += "_n" + "-".join(str(int(n)) for n in sizes)
    if seed:
        name += f"_seed{int(seed)}"
    return name


def resolve_sizes(default, train_size=None, validation_size=None,
                  test_size=None):
    """The split sizes: each given one, else its default; all positive."""
    given = (train_size, validation_size, test_size)
    return tuple(
        check_positive_int(int(d if size is None else size), f"{split}_size")
        for split, d, size in zip(SPLITS, default, given)
    )


def size_fields(sizes, seed):
    """The `SyntheticConfig` fields for resolved sizes and a seed."""
    return dict(train_size=sizes[0], validation_size=sizes[1],
                test_size=sizes[2], seed=int(seed))


def split_generators(builder, make_examples):
    """Builds the three splits from one seeded random generator.

    Args:
        builder: the builder; its config gives sizes and seed.
        make_examples: `make_examples(rng, total)` returns a list of
            `total` examples (dicts of features), drawn from `rng`.

    Returns:
        A dict split name -> generator of `(key, example)`, the first
        `train_size` examples for train, the next ones for validation, the
        last ones for test.
    """
    config = builder.builder_config
    sizes = config.split_sizes
    rng = np.random.default_rng(config.seed)
    examples = make_examples(rng, sum(sizes.values()))
    splits = {}
    start = 0
    for split in SPLITS:
        stop = start + sizes[split]
        splits[split] = builder._generate_examples(examples[start:stop])
        start = stop
    return splits


def enumerate_examples(examples):
    for index, example in enumerate(examples):
        yield index, example
