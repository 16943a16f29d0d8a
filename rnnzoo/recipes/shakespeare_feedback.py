"""Shakespeare with output-to-hidden recurrence only (a Jordan network).

Dataset: as `shakespeare_char`, windows of 100 characters.
Model: `feedback_jordan_window16_2x512`: `OutputFeedbackRNN`, the hidden
layers (2 of 512 units) see only the last 16 characters the model output
(teacher forcing: the true ones in training), so training runs in parallel
over time with no sequential loop; sampling feeds its own characters back.
Training: at most 30 epochs, warm-up then cosine decay from 2e-3, the
epoch with the best validation loss kept, stopping after 4 without
improvement.
Measured: README, "Quality reached on this machine", run `shakespeare_feedback`
(figures rendered from the kept `metrics.json`, never restated here).
Command: rnnzoo train shakespeare_feedback
"""

from rnnzoo.train.recipe import Recipe

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
