"""Character language model of Shakespeare, with sampled text.

Dataset: TFDS `tiny_shakespeare` (train/validation/test 90/5/5 of 1.1 MB of
text), cut into windows of 200 characters. Offline, prepare it from a local
copy of the source file: `rnnzoo data prepare tiny_shakespeare --from
input.txt`, or pass `--manual-dir DIR` holding `input.txt`.
Model: `SequenceTagger` over characters (an output at every step), 2 LSTM
layers of 512 units, dropout 0.3; Adam 0.002, 200 warm-up steps then cosine
decay over 30 epochs, epoch selected on validation loss, patience 5.
Measured: README, "Quality reached on this machine", run `shakespeare_char`, and its transfer to MR (`mr100k_*`)
(figures rendered from the kept `metrics.json`, never restated here).
Command: rnnzoo train shakespeare_char --manual-dir DIR
"""

from rnnzoo.train.recipe import Recipe

RECIPE = Recipe(
    name="shakespeare_char",
    task="language_model",
    description="2-layer LSTM character language model on tiny_shakespeare",
    settings={
        "dataset": "tiny_shakespeare",
        "model": "tagger_lstm_2x512",
        "dropout": 0.3,
        "max_input_tokens": 200,
        "epochs": 30,
        "batch_size": 32,
        "learning_rate": 0.002,
        "lr_schedule": "cosine",
        "warmup_steps": 200,
        "patience": 5,
        "max_new_tokens": 300,
    },
    metrics=("samples",),
    smoke={"epochs": 1, "batch_size": 16, "units": 16, "max_new_tokens": 20},
)

if __name__ == "__main__":
    from rnnzoo.cli import train_main

    train_main(RECIPE)
