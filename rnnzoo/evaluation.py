"""Held-out metrics beyond Keras's: exact match, BLEU, entity F1, samples;
and turning token ids back into text."""

import collections
import math

import numpy as np

from rnnzoo import data as rz_data

WORD_TOKENIZED = "word"


def vocabulary(vectorizer):
    """The vocabulary list of a `TextVectorization` or `StringLookup`."""
    return [t.decode() if isinstance(t, bytes) else str(t) for t in vectorizer.get_vocabulary()]


def detokenize(ids, words, separator="", end_id=None):
    """Token ids to text, stopping at `end_id` and skipping padding."""
    pieces = []
    for i in ids:
        i = int(i)
        if end_id is not None and i == end_id:
            break
        if i != 0:
            pieces.append(words[i] if i < len(words) else "[UNK]")
    return separator.join(pieces)


def until_end(ids, end_id):
    """The ids before the first `end_id` (and before padding)."""
    out = []
    for i in ids:
        i = int(i)
        if i == end_id or i == 0:
            break
        out.append(i)
    return out


def ngrams(tokens, n):
    return collections.Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def corpus_bleu(references, hypotheses, max_order=4):
    """Corpus BLEU (Papineni et al. 2002) of token lists, in [0, 100].

    Clipped n-gram precisions for n = 1..4 summed over the corpus, their
    geometric mean, and the brevity penalty; no smoothing. One reference
    per hypothesis.
    """
    matches = [0] * max_order
    totals = [0] * max_order
    ref_length = hyp_length = 0
    for ref, hyp in zip(references, hypotheses):
        ref_length += len(ref)
        hyp_length += len(hyp)
        for n in range(1, max_order + 1):
            ref_counts, hyp_counts = ngrams(ref, n), ngrams(hyp, n)
            matches[n - 1] += sum((hyp_counts & ref_counts).values())
            totals[n - 1] += max(len(hyp) - n + 1, 0)
    if min(matches) == 0 or hyp_length == 0:
        return 0.0
    log_precision = sum(math.log(m / t) for m, t in zip(matches, totals)) / max_order
    brevity = min(0.0, 1.0 - ref_length / hyp_length)
    return 100.0 * math.exp(log_precision + brevity)


def _take(dataset, examples):
    """Batches of `dataset` until `examples` examples are collected."""
    seen = 0
    for inputs, targets in dataset:
        yield inputs, targets
        seen += int(targets.shape[0])
        if seen >= examples:
            return


def seq2seq_metrics(model, task_data, settings, wanted):
    """Exact match and BLEU of decoded test targets."""
    words = vocabulary(task_data.vectorizers["target"])
    separator = " " if task_data.info.get("tokens") == WORD_TOKENIZED else ""
    end = task_data.end_id
    exact, references, hypotheses = [], [], []
    # Every batch decodes to the same length: one trace, and the length of
    # the references is no hint.
    for inputs, targets in _take(task_data.test, settings["eval_examples"]):
        tokens, _ = model.generate(
            inputs["source_ids"].numpy(),
            max_length=settings["max_decode_length"],
            method=settings["decode_method"],
            beam_width=settings["beam_width"],
            length_penalty=settings["length_penalty"],
        )
        for want, got in zip(targets.numpy(), tokens):
            want, got = until_end(want, end), until_end(got, end)
            exact.append(want == got)
            if separator:
                references.append([words[i] for i in want])
                hypotheses.append([words[i] for i in got])
            else:  # Characters: BLEU over the words of the decoded text.
                references.append(detokenize(want, words).split())
                hypotheses.append(detokenize(got, words).split())
    result = {}
    if "exact_match" in wanted:
        result["exact_match"] = float(np.mean(exact))
    if "bleu" in wanted:
        result["bleu"] = corpus_bleu(references, hypotheses)
    result["decoded_examples"] = len(exact)
    return result


def tagging_f1(model, task_data, settings):
    """Entity-level F1 of the predicted tags on the test split."""
    true_tags, pred_tags = [], []
    for inputs, targets in task_data.test:
        ids = inputs["token_ids"].numpy()
        predicted = np.argmax(model.predict_on_batch(ids), axis=-1)
        true_tags += rz_data.tags_from_ids(targets.numpy(), ids, task_data.label_names)
        pred_tags += rz_data.tags_from_ids(predicted, ids, task_data.label_names)
    scores = rz_data.entity_scores(true_tags, pred_tags)
    return {"f1": scores["f1"], "precision": scores["precision"], "recall": scores["recall"]}


def sample_text(model, task_data, settings, prompt_ids=None):
    """Text sampled from a language model, after a short test prompt."""
    words = vocabulary(task_data.vectorizers["tokens"])
    separator = " " if task_data.info.get("tokens") == WORD_TOKENIZED else ""
    if prompt_ids is None:
        inputs, _ = next(iter(task_data.test))
        prompt_ids = inputs["token_ids"].numpy()[:1, :20]
    tokens = model.generate(
        prompt_ids,
        max_length=settings["sample_length"],
        temperature=settings["temperature"],
        seed=settings["seed"],
    )
    return detokenize(prompt_ids[0], words, separator) + detokenize(tokens[0], words, separator)
