"""`rnnzoo_copy_memory`: the copying memory problem as a TFDS builder."""

import dataclasses

import numpy as np
import tensorflow_datasets as tfds

from rnnzoo.checks import check_positive_int
from rnnzoo.data.builders import _common

LENGTHS = (10, 50, 100, 200, 500)
_SIZES = (10_000, 1_000, 1_000)

#: Categories of Arjovsky et al.: 0-7 are the symbols to copy,
#: 8 is the blank and 9 the delimiter that cues the copy.
NUM_SYMBOLS = 8
BLANK = 8
DELIMITER = 9


@dataclasses.dataclass(eq=False, kw_only=True)
class CopyMemoryConfig(_common.SyntheticConfig):
    """Config of `rnnzoo_copy_memory`.

    Args:
        length: the delay T between the end of the string and the end of
            the copy (the sequence has T + 2 * copy_length steps).
        copy_length: the number of symbols to remember (10 in the paper).
        train_size, validation_size, test_size, seed: see `SyntheticConfig`.
    """

    length: int = 100
    copy_length: int = 10

    @classmethod
    def make(cls, length=100, copy_length=10, train_size=None,
             validation_size=None, test_size=None, seed=0):
        """Makes a config named `t{length}` (plus the rest if not default)."""
        length = check_positive_int(int(length), "length")
        copy_length = check_positive_int(int(copy_length), "copy_length")
        sizes = _common.resolve_sizes(
            _SIZES, train_size, validation_size, test_size
        )
        stem = f"t{length}" + (f"_copy{copy_length}" if copy_length != 10 else "")
        return cls(
            name=_common.config_name(stem, sizes, _SIZES, seed),
            description=(
                f"Copy memory, T={length}, {copy_length} symbols; "
                f"{sizes[0]}/{sizes[1]}/{sizes[2]} examples, seed {seed}."
            ),
            length=length,
            copy_length=copy_length,
            **_common.size_fields(sizes, seed),
        )


class RnnzooCopyMemory(tfds.core.GeneratorBasedBuilder):
    """The copying memory problem (Arjovsky, Shah & Bengio, 2016).

    With n = `copy_length` (10) and delay T = `length`, an example has
    T + 2n steps of categories 0-9 (0-7: symbols, 8: blank, 9: delimiter):

    ```
    inputs:  s1 .. sn | 8 x (T - 1) | 9 | 8 x n
    targets: 8 x (T + n)            | s1 .. sn
    ```

    The n symbols are drawn uniformly and independently from 0-7. The model
    must output the blank until it sees the delimiter, then reproduce the
    string. A memoryless model that outputs blanks, then uniform guesses,
    scores a cross-entropy of `n * log(8) / (T + 2n)` per step: the
    baseline to beat.

    Features: `inputs` and `targets`, int32 of shape `(T + 2n,)`. These are
    the paper's category numbers; `rnnzoo.data.load("copy_memory")` shifts
    them by 2 so that 0 stays the padding id and 1 the out-of-vocabulary id.
    Configs: `t10`, `t50`, `t100`, `t200`, `t500` (10,000/1,000/1,000
    examples), or any `CopyMemoryConfig.make(...)`.

    Example:

    ```python
    import rnnzoo.data  # registers the builder
    ds = tfds.load("rnnzoo_copy_memory/t100", split="train")
    ```

    Reference:
    - [Arjovsky, Shah & Bengio, *Unitary Evolution Recurrent Neural
      Networks*, ICML 2016](https://arxiv.org/abs/1511.06464)
    - Hochreiter & Schmidhuber, *Long Short-Term Memory* (1997), exp. 2.
    """

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Initial release."}
    BUILDER_CONFIGS = [CopyMemoryConfig.make(length=t) for t in LENGTHS]
    DEFAULT_BUILDER_CONFIG_NAME = "t100"

    def _info(self):
        config = self.builder_config
        steps = config.length + 2 * config.copy_length
        sequence = tfds.features.Tensor(shape=(steps,), dtype=np.int32)
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict(
                {"inputs": sequence, "targets": sequence}
            ),
            supervised_keys=("inputs", "targets"),
            disable_shuffling=True,
        )

    def _split_generators(self, dl_manager):
        del dl_manager  # generated locally
        return _common.split_generators(self, self._make_examples)

    def _make_examples(self, rng, total):
        t, n = self.builder_config.length, self.builder_config.copy_length
        symbols = rng.integers(0, NUM_SYMBOLS, size=(total, n), dtype=np.int32)
        inputs = np.full((total, t + 2 * n), BLANK, dtype=np.int32)
        inputs[:, :n] = symbols
        inputs[:, n + t - 1] = DELIMITER
        targets = np.full((total, t + 2 * n), BLANK, dtype=np.int32)
        targets[:, t + n:] = symbols
        return [
            {"inputs": inputs[i], "targets": targets[i]} for i in range(total)
        ]

    def _generate_examples(self, examples):
        yield from _common.enumerate_examples(examples)
