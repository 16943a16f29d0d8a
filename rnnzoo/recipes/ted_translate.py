"""Portuguese to English translation with attention and beam search.

Dataset: TFDS `ted_hrlr_translate/pt_to_en` (TED talk sentences); words,
8,000-word vocabularies, sentences cut to 40 words. Or your own TSV
`source<TAB>target` with `--data` (`--tokens char` for characters).
Model: `seq2seq_gru_bidirectional_bahdanau_1x256`: `Seq2Seq`, a
bidirectional GRU encoder and a GRU decoder of 256 units with Bahdanau
attention, dropout 0.2.
Training: at most 40 epochs, the epoch with the best validation loss kept,
stopping after 5 without improvement; beam search (width 4) on the test
split, BLEU and chrF from sacrebleu.
Measured: README, "Quality reached on this machine", run `fra_eng_char` (on fra-eng)
(figures rendered from the kept `metrics.json`, never restated here).
Command: rnnzoo train ted_translate
"""

from rnnzoo.train.recipe import Recipe

RECIPE = Recipe(
    name="ted_translate",
    task="seq2seq",
    description="attention Seq2Seq pt->en on ted_hrlr_translate, beam search, BLEU",
    settings={
        "dataset": "ted_hrlr_translate/pt_to_en",
        "model": "seq2seq_gru_bidirectional_bahdanau_1x256",
        "tokens": "word",
        "max_input_tokens": 40,
        "dropout": 0.2,
        "epochs": 40,
        "patience": 5,
        "batch_size": 64,
        "decode_method": "beam",
        "beam_width": 4,
        "max_new_tokens": 50,
    },
    dataset_config={"max_tokens": 8000},
    metrics=("bleu", "exact_match"),
    smoke={"epochs": 1, "batch_size": 16, "units": 8, "num_layers": 1, "eval_examples": 8},
)

if __name__ == "__main__":
    from rnnzoo.cli import train_main

    train_main(RECIPE)
