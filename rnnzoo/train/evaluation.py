"""Held-out metrics: Keras's, and exact match, BLEU and chrF (sacrebleu),
entity F1 and samples; and token ids back into text."""

import numpy as np

from rnnzoo import data as rz_data
from rnnzoo.data.vectorize import SPECIAL_TOKENS
from rnnzoo.data.vectorize import token_separator
from rnnzoo.data.vectorize import vocabulary


def detokenize(ids, words, separator="", end_id=None):
    """Token ids to text, stopping at `end_id`, without special tokens
    (padding, out-of-vocabulary, start, end)."""
    pieces = []
    for i in ids:
        i = int(i)
        if end_id is not None and i == end_id:
            break
        if 0 <= i < len(words) and words[i] not in SPECIAL_TOKENS:
            pieces.append(words[i])
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


def _take(dataset, examples):
    """Batches of `dataset` until `examples` examples are collected."""
    seen = 0
    for inputs, targets in dataset:
        yield inputs, targets
        seen += int(targets.shape[0])
        if seen >= examples:
            return


def translation_scores(references, hypotheses):
    """Corpus BLEU and chrF of detokenized strings, from sacrebleu (its
    default 13a tokenization; one reference per hypothesis)."""
    import sacrebleu

    return {
        "bleu": sacrebleu.corpus_bleu(hypotheses, [references]).score,
        "chrf": sacrebleu.corpus_chrf(hypotheses, [references]).score,
    }


def seq2seq_metrics(model, task_data, settings, wanted):
    """Exact match, BLEU and chrF of decoded test targets."""
    words = vocabulary(task_data.vectorizers["target"])
    separator = token_separator(task_data.info.get("tokens"))
    end = task_data.end_id
    exact, references, hypotheses = [], [], []
    # Every batch decodes to the same length: one trace, and the length of
    # the references is no hint.
    for inputs, targets in _take(task_data.test, settings["eval_examples"]):
        tokens, _ = model.generate(
            inputs["source_ids"].numpy(),
            max_length=settings["max_new_tokens"],
            method=settings["decode_method"],
            beam_width=settings["beam_width"],
            length_penalty=settings["length_penalty"],
        )
        for want, got in zip(targets.numpy(), tokens):
            want, got = until_end(want, end), until_end(got, end)
            exact.append(want == got)
            references.append(detokenize(want, words, separator))
            hypotheses.append(detokenize(got, words, separator))
    result = {"decoded_examples": len(exact)}
    if "exact_match" in wanted:
        result["exact_match"] = float(np.mean(exact))
    if "bleu" in wanted:
        result.update(translation_scores(references, hypotheses))
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
    separator = token_separator(task_data.info.get("tokens"))
    if prompt_ids is None:
        inputs, _ = next(iter(task_data.test))
        prompt_ids = inputs["token_ids"].numpy()[:1, :20]
    tokens = model.generate(
        prompt_ids,
        max_length=settings["max_new_tokens"],
        temperature=settings["temperature"],
        seed=settings["seed"],
    )
    return detokenize(prompt_ids[0], words, separator) + detokenize(tokens[0], words, separator)


def held_out_metrics(model, task_data, recipe, settings):
    """Test metrics: Keras's (`loss`, `accuracy`, `cross_entropy`...) and
    the recipe's (`exact_match`, `bleu`/`chrf`, `f1`, `sample`)."""
    test = task_data.test.map(lambda x, y: (model.data_inputs(x), y))
    metrics = model.evaluate(test, verbose=0, return_dict=True)
    wanted = set(recipe.metrics)
    if wanted & {"exact_match", "bleu"}:
        metrics.update(seq2seq_metrics(model, task_data, settings, wanted))
    if "f1" in wanted:
        metrics.update(tagging_f1(model, task_data, settings))
    if "samples" in wanted:
        metrics["sample"] = sample_text(model, task_data, settings)
    return metrics
