"""`rnnzoo_adding_problem`: the adding problem as a TFDS builder."""

import dataclasses

import numpy as np
import tensorflow_datasets as tfds

from rnnzoo.checks import check_min_int
from rnnzoo.data.builders import _common

LENGTHS = (10, 50, 100, 200, 500)
_SIZES = (10_000, 1_000, 1_000)


@dataclasses.dataclass(eq=False, kw_only=True)
class AddingProblemConfig(_common.SyntheticConfig):
    """Config of `rnnzoo_adding_problem`.

    Args:
        length: the sequence length T (at least 2).
        train_size, validation_size, test_size, seed: see `SyntheticConfig`.
    """

    length: int = 100

    @classmethod
    def make(cls, length=100, train_size=None, validation_size=None,
             test_size=None, seed=0):
        """Makes a config named `t{length}` (plus sizes and seed if set)."""
        length = check_min_int(int(length), 2, "length")
        sizes = _common.resolve_sizes(
            _SIZES, train_size, validation_size, test_size
        )
        return cls(
            name=_common.config_name(f"t{length}", sizes, _SIZES, seed),
            description=(
                f"Adding problem, T={length}; "
                f"{sizes[0]}/{sizes[1]}/{sizes[2]} examples, seed {seed}."
            ),
            length=length,
            **_common.size_fields(sizes, seed),
        )


class RnnzooAddingProblem(tfds.core.GeneratorBasedBuilder):
    """The adding problem (Hochreiter & Schmidhuber, 1997).

    Each example is a sequence of T pairs `(value, marker)`. The values are
    drawn uniformly from [0, 1); the marker is 1 at exactly two steps, one
    drawn uniformly from the first half (`t < T // 2`) and one from the
    second half, and 0 elsewhere. The target is the sum of the two marked
    values. Predicting the mean, 1.0, gives a mean squared error of 1/6
    (0.1667): a model must beat that to have learned anything.

    This is the standard form of Le et al. (2015) and Arjovsky et al.
    (2016); Hochreiter & Schmidhuber drew values from [-1, 1], put the first
    marker among the first 10 steps and scaled the target to
    `0.5 + (x1 + x2) / 4`.

    Features: `features` (float32, shape `(T, 2)`: value, marker) and
    `target` (float32 scalar). Configs: `t10`, `t50`, `t100`, `t200`,
    `t500` (10,000/1,000/1,000 examples), or any `AddingProblemConfig.make`.

    Example:

    ```python
    import rnnzoo.data  # registers the builder
    ds = tfds.load("rnnzoo_adding_problem/t100", split="train")
    ```

    Reference:
    - [Hochreiter & Schmidhuber, *Long Short-Term Memory*, Neural
      Computation 9(8), 1997](https://doi.org/10.1162/neco.1997.9.8.1735)
    - [Le, Jaitly & Hinton, *A Simple Way to Initialize Recurrent Networks
      of Rectified Linear Units*, 2015](https://arxiv.org/abs/1504.00941)
    """

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Initial release."}
    BUILDER_CONFIGS = [AddingProblemConfig.make(length=t) for t in LENGTHS]
    DEFAULT_BUILDER_CONFIG_NAME = "t100"

    def _info(self):
        length = self.builder_config.length
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict(
                {
                    "features": tfds.features.Tensor(
                        shape=(length, 2), dtype=np.float32
                    ),
                    "target": tfds.features.Scalar(dtype=np.float32),
                }
            ),
            supervised_keys=("features", "target"),
            disable_shuffling=True,
        )

    def _split_generators(self, dl_manager):
        del dl_manager  # generated locally
        return _common.split_generators(self, self._make_examples)

    def _make_examples(self, rng, total):
        length = self.builder_config.length
        half = length // 2
        values = rng.random((total, length), dtype=np.float32)
        first = rng.integers(0, half, size=total)
        second = rng.integers(half, length, size=total)
        markers = np.zeros((total, length), dtype=np.float32)
        rows = np.arange(total)
        markers[rows, first] = 1.0
        markers[rows, second] = 1.0
        targets = values[rows, first] + values[rows, second]
        features = np.stack([values, markers], axis=-1)
        return [
            {"features": features[i], "target": np.float32(targets[i])}
            for i in range(total)
        ]

    def _generate_examples(self, examples):
        yield from _common.enumerate_examples(examples)
