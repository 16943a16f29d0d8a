"""Language model pipeline: one long text per split, cut into windows."""

import tensorflow as tf

from rnnzoo.checks import check_positive_int
from rnnzoo.errors import UsageError
from rnnzoo.data import batching
from rnnzoo.data import text_tasks
from rnnzoo.data import vectorize
from rnnzoo.data.task_data import TaskData

DEFAULT_LENGTH = 100


def windows(ids, length):
    """Cuts a 1-D id tensor into `(inputs, targets)` windows.

    Windows of `length + 1` ids start every `length` ids, so consecutive
    windows share one id and every next-token pair of the text is a target
    exactly once (the tail shorter than a window is dropped). Inputs are
    `window[:-1]`, targets `window[1:]`.
    """
    frames = tf.signal.frame(ids, length + 1, length, axis=0)
    ds = tf.data.Dataset.from_tensor_slices(frames)
    return ds.map(lambda w: ({"token_ids": w[:-1]}, w[1:]))


def language_model(texts, *, tokens="char", batch_size=32, max_length=None,
                   max_tokens=None, standardize=None, seed=0, info=None,
                   vectorizers=None):
    """A next-token language model over one text per split.

    Args:
        texts: dict `"train"`, `"validation"`, `"test"` -> one string (a
            Python `str` or a scalar string tensor).
        tokens: `"char"` (default) or `"word"` (whitespace-separated; line
            breaks are not tokens).
        batch_size: windows per batch.
        max_length: window length T (default 100).
        max_tokens: the largest vocabulary (default: every character, or
            20,000 words).
        standardize: word standardization (default `"lower"`).
        seed: shuffle seed of the training windows.
        vectorizers: optional `{"tokens": layer}`: a fixed vocabulary (a
            trained model's) instead of one built from the training text.

    Returns:
        `TaskData` of `({"token_ids": (B, T)}, next ids (B, T))` batches;
        all windows have length T, so no batch has padding.
    """
    length = check_positive_int(
        DEFAULT_LENGTH if max_length is None else int(max_length), "max_length")
    if standardize is None:
        standardize = vectorize.WORD_STANDARDIZE["language_model"]
    vectorizer = (vectorizers or {}).get("tokens") or vectorize.text_vectorizer(
        tf.data.Dataset.from_tensors(tf.constant(texts["train"])), tokens,
        max_tokens=text_tasks.DEFAULT_MAX_TOKENS[tokens]
        if max_tokens is None else max_tokens,
        standardize=standardize, name="tokens",
    )
    splits, sizes = {}, {}
    for split in ("train", "validation", "test"):
        ids = vectorize.to_ids(vectorizer, tf.constant(texts[split]))
        count = int(ids.shape[0])
        if count < length + 1:
            raise UsageError(
                f"The {split} text has {count} {tokens} tokens, fewer than "
                f"one window of {length + 1}: give a longer text, or a smaller "
                "`max_length` (`--max-input-tokens`)."
            )
        sizes[split] = count
        splits[split] = batching.batch_fixed(
            windows(ids, length), batch_size,
            shuffle=split == "train", seed=seed,
        )
    return TaskData(
        task="language_model",
        **splits,
        vectorizers={"tokens": vectorizer},
        vocabulary_size=vectorizer.vocabulary_size(),
        max_length=length,
        info=dict(info or {}, tokens=tokens, split_tokens=sizes),
    )
