"""Batching: cache, shuffle, bucket by length, pad with 0, prefetch."""

import weakref

import tensorflow as tf

SHUFFLE_BUFFER = 10_000
#: Each shuffled split -> a function of the epoch giving that epoch's order.
_EPOCHS = weakref.WeakKeyDictionary()


def for_epoch(dataset, epoch):
    """`dataset` (a split made by this module) in the order of `epoch`.

    A shuffled split reshuffles at every iteration, so the order of an
    epoch depends on how often it was iterated before. Here the order is a
    function of the seed and `epoch` alone: a resumed run sees the same
    epochs as an uninterrupted one. Unshuffled splits come back as they are.
    """
    build = _EPOCHS.get(dataset)
    return dataset if build is None else build(epoch)


def _shuffled(cached, seed, finish):
    """`finish(cached.shuffle(...))`, reshuffled each iteration, with its
    per-epoch twin registered for `for_epoch`."""
    dataset = finish(cached.shuffle(SHUFFLE_BUFFER, seed=seed, reshuffle_each_iteration=True))
    _EPOCHS[dataset] = lambda epoch: finish(
        cached.shuffle(SHUFFLE_BUFFER, seed=seed + 1_000_003 * (epoch + 1),
                       reshuffle_each_iteration=False)
    )
    return dataset


def bucket_boundaries(max_length=None):
    """Bucket edges 8, 12, 16, 24, 32, 48, ... below `max_length`.

    Without `max_length` the edges stop at 1024; longer sequences share the
    last bucket.
    """
    limit = 1024 if max_length is None else int(max_length)
    edges, size = [], 8
    while size < limit:
        edges.append(size)
        if size + size // 2 < limit:
            edges.append(size + size // 2)
        size *= 2
    return edges


def batch_by_length(ds, length_fn, batch_size, *, max_length=None,
                    shuffle=False, seed=0):
    """Batches `(inputs, targets)` pairs of variable length.

    The pairs are cached, shuffled (training split, seeded, reshuffled each
    epoch), grouped into length buckets with
    `tf.data.Dataset.bucket_by_sequence_length`, and every tensor is
    right-padded with 0 to the longest one of its batch (not to the bucket
    edge, nor to a global maximum).

    Args:
        ds: unbatched `(inputs, targets)` pairs.
        length_fn: `length_fn(inputs, targets)` -> int32 scalar length.
        batch_size: examples per batch.
        max_length: the longest length, to place the bucket edges.
        shuffle: shuffle before batching (the training split).
        seed: the shuffle seed.
    """
    edges = bucket_boundaries(max_length)

    def finish(ds):
        ds = ds.bucket_by_sequence_length(
            element_length_func=length_fn,
            bucket_boundaries=edges,
            bucket_batch_sizes=[batch_size] * (len(edges) + 1),
        )
        return ds.prefetch(tf.data.AUTOTUNE)

    ds = ds.cache()
    return _shuffled(ds, seed, finish) if shuffle else finish(ds)


def batch_fixed(ds, batch_size, *, shuffle=False, seed=0):
    """Batches pairs whose shapes are all equal: cache, shuffle, prefetch."""
    def finish(ds):
        return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)

    ds = ds.cache()
    return _shuffled(ds, seed, finish) if shuffle else finish(ds)

