"""What `rnnzoo evaluate` and `rnnzoo generate` do with a run folder."""

from rnnzoo.errors import UsageError
from rnnzoo.train.run_folder import RunFolder

#: Outputs of a generating endpoint: the text it wrote.
GENERATED = ("translation", "text")


def evaluate_run(run_dir):
    """Recomputes the held-out metrics of a run; returns them and stores
    them under `"test"` in its `metrics.json`."""
    from rnnzoo.train.engine import finite_passes
    from rnnzoo.train.evaluation import held_out_metrics
    from rnnzoo.train.recipe import find_recipe
    from rnnzoo.train.run_data import load_data

    folder = RunFolder(run_dir)
    config = folder.config()
    model = folder.load_model()
    recipe = find_recipe(config["recipe"])
    task_data = load_data(recipe, config["settings"])
    with finite_passes():
        test = held_out_metrics(model, task_data, recipe, config["settings"])
    folder.write_metrics(test=test)
    return test


def generate_text(run_dir, prompts=None, condition=None, **decode):
    """Texts the model of a run folder writes: one per prompt (a language
    model's continuation, with its prompt; a translation), or for a
    condition. It runs the model's own serving function, so it answers
    exactly as the exported model does. `decode`: `max_new_tokens`,
    `temperature`, `top_k`, `seed` (default: the run's settings)."""
    import tensorflow as tf

    folder = RunFolder(run_dir)
    model = folder.load_model()
    context = folder.serving_context(**decode)
    _, serve, signature = model.serving_endpoints(context)[0]
    serve = tf.function(serve, input_signature=signature)
    given = signature[0].name
    outputs = [k for k in GENERATED if k in serve.get_concrete_function().structured_outputs]
    if not outputs:
        raise UsageError(
            "`rnnzoo generate` needs a generative run (language model, "
            f"conditional generation or seq2seq); this run's task is {model.task!r}."
        )
    if given == "condition":
        return _for_condition(context, serve, prompts, condition, outputs[0])
    if condition is not None:
        raise UsageError("`--condition` is for conditional generators; this run's "
                         f"task is {model.task!r}. Pass --prompt TEXT.")
    if not prompts:
        raise UsageError(f"This run's model ({model.task}) writes from a text: pass "
                         "--prompt TEXT (repeatable).")
    refused = context.refusal(tf.constant(prompts), "prompt")
    if refused:  # Outside the form of the run's data: as the export refuses it.
        raise UsageError(refused)
    result = serve(tf.constant(prompts))
    texts = [t.decode("utf-8") for t in result[outputs[0]].numpy()]
    if outputs[0] == "translation":
        return texts
    return [context.separator.join(p for p in (prompt, text) if p)
            for prompt, text in zip(prompts, texts)]


def _for_condition(context, serve, prompts, condition, output):
    import tensorflow as tf

    labels = list(context.label_names or [])
    if condition is None:
        raise UsageError("This run's model writes for a class label: pass --condition "
                         f"LABEL, one of {', '.join(labels)}.")
    if condition not in labels:
        from rnnzoo.train.recipe import suggest

        raise UsageError(f"`--condition` must be one of the run's labels "
                         f"{', '.join(labels)}; received {condition!r}."
                         f"{suggest(condition, labels)}")
    if prompts:
        raise UsageError("A conditional generator writes from its --condition "
                         "alone; drop --prompt.")
    result = serve(tf.constant([condition]))
    return [t.decode("utf-8") for t in result[output].numpy()]

