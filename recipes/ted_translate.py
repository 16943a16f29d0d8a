"""Portuguese to English translation with attention and beam search.

Dataset: TFDS `ted_hrlr_translate/pt_to_en` (TED talk sentences); words,
8,000-word vocabularies, sentences cut to 40 words.
Model: `Seq2Seq`, bidirectional GRU encoder, GRU decoder with Bahdanau
attention, 2 layers of 256 units.
Expected: BLEU on the test split (beam search, width 4) in metrics.json.
Command: rnnzoo train ted_translate
"""

from rnnzoo.recipe import Recipe

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
