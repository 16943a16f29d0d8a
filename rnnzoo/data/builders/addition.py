"""`rnnzoo_addition`: the Keras *addition_rnn* task as a TFDS builder."""

import dataclasses

import tensorflow_datasets as tfds

from rnnzoo.checks import check_positive_int
from rnnzoo.data.builders import _common

_DEFAULT_SIZES = {2: (4_000, 500, 500)}
_SIZES = (45_000, 2_500, 2_500)


@dataclasses.dataclass(eq=False, kw_only=True)
class AdditionConfig(_common.SyntheticConfig):
    """Config of `rnnzoo_addition`.

    Args:
        digits: the most digits an operand has.
        reversed: whether the question is stored reversed (`"54+321"` for
            `"123+45"`), which shortens the path from the last digits of the
            operands to the first digits of the answer.
        train_size, validation_size, test_size, seed: see `SyntheticConfig`.
    """

    digits: int = 3
    reversed: bool = False

    @classmethod
    def make(cls, digits=3, reversed=False, train_size=None,
             validation_size=None, test_size=None, seed=0):
        """Makes a config, named after its settings (`d3`, `d3_reversed`)."""
        digits = check_positive_int(int(digits), "digits")
        default = _DEFAULT_SIZES.get(digits, _SIZES)
        sizes = _common.resolve_sizes(
            default, train_size, validation_size, test_size
        )
        possible = _distinct_pairs(digits)
        if sum(sizes) > possible:
            raise ValueError(
                f"Only {possible} distinct questions exist with {digits} "
                f"digit(s); {sum(sizes)} were requested."
            )
        stem = f"d{digits}" + ("_reversed" if reversed else "")
        name = _common.config_name(stem, sizes, default, seed)
        return cls(
            name=name,
            description=(
                f"Sums of two numbers of 1 to {digits} digits"
                + (", question reversed" if reversed else "")
                + f"; {sizes[0]}/{sizes[1]}/{sizes[2]} examples, seed {seed}."
            ),
            digits=digits,
            reversed=bool(reversed),
            **_common.size_fields(sizes, seed),
        )


def _distinct_pairs(digits):
    # Unordered pairs {a, b} of numbers below 10**digits.
    n = 10**digits
    return n * (n + 1) // 2


def _operand(rng, digits):
    # As in the Keras example: a length of 1 to `digits`, then uniform
    # digits, so leading zeros make short numbers more frequent.
    length = int(rng.integers(1, digits + 1))
    return int("".join(str(d) for d in rng.integers(0, 10, size=length)))


class RnnzooAddition(tfds.core.GeneratorBasedBuilder):
    """The addition task of the Keras *addition_rnn* example.

    A question `"123+45"` is answered by `"168"`. As in the Keras example,
    each operand has a uniformly drawn number of digits between 1 and
    `digits`, then uniformly drawn digits, and a pair of operands occurs once
    across all splits (`a+b` and `b+a` count as the same question), so the
    validation and test questions are never seen in training.

    Unlike the Keras example, the question is not padded with spaces: it
    holds exactly the characters `0-9` and `+`. In the `*_reversed` configs
    the whole question string is reversed (`"54+321"`); the answer never is.

    Features: `question` (text), `answer` (text). Supervised keys:
    `("question", "answer")`. Configs: `d2`, `d3`, `d4`, `d5` and their
    `*_reversed` twins (45,000/2,500/2,500 examples; `d2` 4,000/500/500),
    or any `AdditionConfig.make(...)`.

    Example:

    ```python
    import rnnzoo.data  # registers the builder
    ds = tfds.load("rnnzoo_addition/d3", split="test")
    ```

    Reference:
    - [Keras example: sequence to sequence learning for performing number
      addition](https://keras.io/examples/nlp/addition_rnn/)
    - Zaremba & Sutskever, *Learning to Execute* (2014).
    """

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Initial release."}
    BUILDER_CONFIGS = [
        AdditionConfig.make(digits=d, reversed=r)
        for d in (3, 2, 4, 5)
        for r in (False, True)
    ]

    def _info(self):
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict(
                {
                    "question": tfds.features.Text(),
                    "answer": tfds.features.Text(),
                }
            ),
            supervised_keys=("question", "answer"),
            disable_shuffling=True,
            homepage="https://keras.io/examples/nlp/addition_rnn/",
        )

    def _split_generators(self, dl_manager):
        del dl_manager  # generated locally
        return _common.split_generators(self, self._make_examples)

    def _make_examples(self, rng, total):
        config = self.builder_config
        seen = set()
        examples = []
        while len(examples) < total:
            a = _operand(rng, config.digits)
            b = _operand(rng, config.digits)
            key = (min(a, b), max(a, b))
            if key in seen:
                continue
            seen.add(key)
            question = f"{a}+{b}"
            if config.reversed:
                question = question[::-1]
            examples.append({"question": question, "answer": str(a + b)})
        return examples

    def _generate_examples(self, examples):
        yield from _common.enumerate_examples(examples)
