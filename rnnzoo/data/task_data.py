"""`TaskData`: what every rnnzoo data loader returns."""

import dataclasses
from typing import Any

import tensorflow as tf

TASKS = (
    "classification",
    "language_model",
    "tagging",
    "seq2seq",
    "conditional_generation",
    "regression",
    "forecasting",
)

#: Token id 0 pads (models use `Embedding(mask_zero=True)`); 1 is the
#: out-of-vocabulary token. Decoder vocabularies add start and end tokens.
PAD_ID = 0
OOV_ID = 1
START_TOKEN = "[START]"
END_TOKEN = "[END]"


@dataclasses.dataclass
class TaskData:
    """The three splits of a task, batched, and what a model needs to know.

    Every split is a `tf.data.Dataset` of `(inputs, targets)` batches where
    `inputs` is a dict. Token ids are int32, right-padded with 0 to the
    longest sequence of the batch; id 0 is padding and id 1 the
    out-of-vocabulary token.

    | task | inputs | targets |
    |---|---|---|
    | `classification` | `token_ids` (B, T) | (B,) int32 class id |
    | `language_model` | `token_ids` (B, T) = ids[:-1] | (B, T) = ids[1:] |
    | `tagging` | `token_ids` (B, T) | (B, T) int32 tag ids, 0 at padding |
    | `seq2seq` | `source_ids` (B, S), `target_ids` (B, T) = start + y | (B, T) = y + end |
    | `conditional_generation` | `condition` (B,) int32, `target_ids` (B, T) | (B, T) |
    | `regression` | `features` (B, T, F) float32 | (B, 1) float32 |
    | `forecasting` | `features` (B, T, 1) float32 | (B, 1) or (B, T, 1) float32 |

    Attributes:
        task: one of `TASKS`.
        train, validation, test: the batched splits.
        vectorizers: the Keras preprocessing layers that made the ids
            (`"tokens"`, or `"source"` and `"target"`; `"labels"` or `"tags"`
            where labels are strings), to put in front of a model for
            serving.
        vocabulary_size: size of the token vocabulary (padding and OOV
            included); for a language model also the number of outputs.
        source_vocabulary_size, target_vocabulary_size: for `seq2seq`.
        num_classes: classes of `classification` and of the condition of
            `conditional_generation`.
        num_tags: outputs per step of `tagging`.
        label_names: name of each class or tag id (index = id).
        start_id, end_id: decoder start and end token ids.
        max_length: the longest sequence a batch can hold (`None`: no limit).
        mean, std: for `forecasting`, the training statistics the values
            were normalized with (`x_norm = (x - mean) / std`).
        reverse_source: whether the source text is reversed before the
            model reads it (`addition`'s reversed questions): serving and
            generation reverse what the user writes the same way.
        info: free-form facts: dataset name, source, split sizes, settings.
    """

    task: str
    train: tf.data.Dataset
    validation: tf.data.Dataset
    test: tf.data.Dataset
    vectorizers: dict = dataclasses.field(default_factory=dict)
    vocabulary_size: int | None = None
    source_vocabulary_size: int | None = None
    target_vocabulary_size: int | None = None
    num_classes: int | None = None
    num_tags: int | None = None
    label_names: list | None = None
    start_id: int | None = None
    end_id: int | None = None
    max_length: int | None = None
    mean: float | None = None
    std: float | None = None
    reverse_source: bool = False
    info: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        if self.task not in TASKS:
            raise ValueError(
                f"Unknown task {self.task!r}; expected one of {TASKS}."
            )

    def train_for_epoch(self, epoch):
        """The training split in the order of `epoch` (0-based): the same in
        every run with the same seed, however often the data were iterated
        before, which lets a resumed run repeat an uninterrupted one."""
        from rnnzoo.data.batching import for_epoch

        return for_epoch(self.train, epoch)

    @property
    def splits(self):
        """The splits as a dict `{"train": ..., "validation": ..., "test": ...}`."""
        return {
            "train": self.train,
            "validation": self.validation,
            "test": self.test,
        }
