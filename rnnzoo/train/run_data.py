"""The data of a run, as its recipe and settings say: the recipe's dataset,
or the user's files."""

from rnnzoo import data as rz_data
from rnnzoo.errors import UsageError

#: Built-in datasets: their vocabularies are fixed, so `--init-from` a model
#: trained on one of them continues on it (a curriculum over lengths).
BUILT_IN = ("adding_problem", "addition", "copy_memory")
#: The kind of user file each recipe task reads with `--data`.
FILE_KINDS = {"regression": "forecasting"}


def eval_paths(settings):
    """`--eval-data` as `from_files` takes it: `None`, a path, or the
    validation and test paths."""
    eval_path = settings["eval_data"]
    if eval_path and "," in eval_path:
        return eval_path.split(",")
    return eval_path


def load_data(recipe, settings, vectorizers=None):
    """The run's `TaskData`: its dataset, or the user's `--data` file;
    text through the fixed `vectorizers` when given (`--init-from`)."""
    common = dict(
        batch_size=settings["batch_size"],
        max_length=settings["max_input_tokens"],
        seed=settings["seed"],
    )
    if settings["data"]:
        task_data = rz_data.from_files(
            FILE_KINDS.get(recipe.task, recipe.task),
            settings["data"],
            eval_paths(settings),
            tokens=settings["tokens"] or "char",
            max_tokens=settings["max_vocabulary"],
            vectorizers=vectorizers,
            **common,
        )
        validation = task_data.info.get("validation")
        if validation:
            print(f"note: validation: {validation}; test: {task_data.info['test']}.")
        return task_data
    if vectorizers and settings["dataset"] not in BUILT_IN:
        raise UsageError(
            "--init-from fine-tunes on your own files: give them with --data (and "
            "--eval-data), or on a built-in dataset (" + ", ".join(BUILT_IN) + "); the "
            f"recipe's own dataset {settings['dataset']!r} is not supported with it yet.")
    dataset_config = dict(recipe.dataset_config)
    if settings["length"]:
        dataset_config["length"] = settings["length"]
    if settings["max_vocabulary"]:
        dataset_config["max_tokens"] = settings["max_vocabulary"]
    task_data = rz_data.load(
        settings["dataset"],
        tokens=settings["tokens"],
        data_dir=settings["data_dir"],
        manual_dir=settings["manual_dir"],
        smoke=settings["smoke"],
        **common,
        **dataset_config,
    )
    for name, vectorizer in (vectorizers or {}).items():
        own = task_data.vectorizers.get(name)
        if own is None or own.get_vocabulary() != vectorizer.get_vocabulary():
            raise UsageError(
                f"--init-from: the trained model's {name} vocabulary is not the "
                f"{settings['dataset']!r} dataset's: start from a model trained on it.")
    return task_data


def data_facts(task_data):
    """What serving needs to know of the data beyond its vectorizers (the
    labels, the token unit, what the data does to inputs, the form of its
    inputs and what they are, where the data say), and where its splits
    come from."""
    info = task_data.info
    sizes = next((info[k] for k in ("split_sizes", "split_tokens", "split_characters")
                  if k in info), None)
    return {
        "source": info.get("tfds_name") or info.get("name"),
        "splits": {
            "validation": info.get("validation") or _tfds_split(info, "validation"),
            "test": info.get("test") or _tfds_split(info, "test"),
            "sizes": sizes,
        },
        "task": task_data.task,
        "label_names": task_data.label_names,
        "tokens": task_data.info.get("tokens"),
        "start_id": task_data.start_id,
        "end_id": task_data.end_id,
        "reverse_source": task_data.reverse_source,
        "mean": task_data.mean,
        "std": task_data.std,
        "input_form": info.get("input_form"),
        "domain": info.get("domain"),
    }


def _tfds_split(info, split):
    if "tfds_splits" in info:
        return f"TFDS {info['tfds_name']} split {info['tfds_splits'][split]!r}"
    if "tfds_name" in info:
        return f"{info['tfds_name']} split {split!r} (generated locally)"
    return None
