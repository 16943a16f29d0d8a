"""Shakespeare with output-to-hidden recurrence only (a Jordan network).

Dataset: as `shakespeare_char`.
Model: `OutputFeedbackRNN`: the hidden layer sees only the last 16
characters the model output (teacher forcing: the true ones in training),
so training runs in parallel over time with no sequential loop; sampling
feeds its own characters back.
Expected: a higher loss than `shakespeare_char`'s LSTM, since nothing but
the last 16 outputs carries the past (Goodfellow et al. 10.2.1); faster
epochs.
Command: rnnzoo train shakespeare_feedback
"""

from rnnzoo.recipe import Recipe

RECIPE = Recipe(
    name="shakespeare_feedback",
    task="language_model",
    description="output-feedback (Jordan) character model on tiny_shakespeare",
    settings={
        "dataset": "tiny_shakespeare",
        "model": "feedback_jordan_window16_2x512",
        "max_input_tokens": 100,
        "epochs": 30,
        "patience": 4,
        "batch_size": 64,
        "learning_rate": 0.002,
        "lr_schedule": "cosine",
        "warmup_steps": 200,
        "max_new_tokens": 300,
    },
    metrics=("samples",),
    smoke={"epochs": 1, "batch_size": 16, "units": 16, "max_new_tokens": 20},
)

if __name__ == "__main__":
    from rnnzoo.cli import train_main

    train_main(RECIPE)
