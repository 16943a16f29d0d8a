"""Named model presets: `register_model`, `create_model`, `list_models`."""

import fnmatch

from rnnzoo.checks import suggest
from rnnzoo.errors import UsageError
from rnnzoo.models import OutputFeedbackRNN
from rnnzoo.models import Seq2Seq
from rnnzoo.models import SequenceClassifier
from rnnzoo.models import SequenceGenerator
from rnnzoo.models import SequenceTagger
from rnnzoo.models.backbone import CELLS

_REGISTRY = {}


def register_model(name, builder, **defaults):
    """Registers `builder` (a model class or function) under `name`.

    `create_model(name, **overrides)` then calls
    `builder(**{**defaults, **overrides})`.

    Raises:
        ValueError: if `name` is already registered.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"Argument `name` must be a non-empty string. Received: {name!r}")
    if name in _REGISTRY:
        raise ValueError(f"A model named {name!r} is already registered.")
    _REGISTRY[name] = (builder, dict(defaults))
    return builder


def _entry(name):
    if name not in _REGISTRY:
        raise UsageError(
            f"Unknown model {name!r}.{suggest(name, _REGISTRY, n=3)} "
            "`rnnzoo.list_models()` lists them all."
        )
    return _REGISTRY[name]


def create_model(name, **overrides):
    """Builds the registered model `name`, with `overrides` applied to its
    preset arguments (data sizes such as `vocabulary_size` go here).

    Example:

    >>> model = rnnzoo.create_model("classifier_lstm_small",
    ...     vocabulary_size=1000, num_classes=2)
    """
    builder, defaults = _entry(name)
    return builder(**{**defaults, **overrides})


def model_preset(name):
    """The builder and preset arguments registered under `name`."""
    builder, defaults = _entry(name)
    return builder, dict(defaults)


def list_models(pattern="*"):
    """Sorted names of the registered models matching a glob `pattern`."""
    return sorted(n for n in _REGISTRY if fnmatch.fnmatchcase(n, pattern))


SIZES = {"small": {"units": 64, "num_layers": 1}, "base": {"units": 256, "num_layers": 2}}

# Every pattern x cell in two sizes: small (1 layer of 64 units) and base
# (2 layers of 256).
for _cell in CELLS:
    for _size, _shape in SIZES.items():
        register_model(f"tagger_{_cell}_{_size}", SequenceTagger, cell=_cell, **_shape)
        register_model(
            f"classifier_{_cell}_{_size}", SequenceClassifier, cell=_cell, **_shape
        )
        register_model(f"seq2seq_{_cell}_{_size}", Seq2Seq, cell=_cell, **_shape)
        register_model(
            f"generator_{_cell}_{_size}", SequenceGenerator, cell=_cell, **_shape
        )
    base = SIZES["base"]
    register_model(
        f"tagger_{_cell}_bidirectional_base", SequenceTagger, cell=_cell,
        bidirectional=True, **base,
    )
    register_model(
        f"classifier_{_cell}_bidirectional_base", SequenceClassifier, cell=_cell,
        bidirectional=True, **base,
    )
    register_model(
        f"seq2seq_{_cell}_bidirectional_bahdanau_base", Seq2Seq, cell=_cell,
        attention="bahdanau", bidirectional=True, **base,
    )
    register_model(
        f"seq2seq_{_cell}_luong_base", Seq2Seq, cell=_cell, attention="luong", **base
    )
for _size, _shape in SIZES.items():
    register_model(f"feedback_jordan_{_size}", OutputFeedbackRNN, cell="jordan", **_shape)
register_model(
    "feedback_jordan_window16_base", OutputFeedbackRNN, cell="jordan",
    feedback_window=16, **SIZES["base"],
)

# The models the recipes train, named by what they are: layers x units
# (embedding sizes, where they differ from the units, in the arguments).
RECIPE_PRESETS = {
    "seq2seq_lstm_1x128": (Seq2Seq, {"cell": "lstm", "num_layers": 1, "units": 128}),
    "classifier_lstm_bidirectional_max_2x64": (SequenceClassifier, {
        "cell": "lstm", "num_layers": 2, "units": 64, "bidirectional": True,
        "pooling": "max", "embedding_dim": 128}),
    "tagger_lstm_2x512": (SequenceTagger, {
        "cell": "lstm", "num_layers": 2, "units": 512, "embedding_dim": 64}),
    "feedback_jordan_window16_2x512": (OutputFeedbackRNN, {
        "cell": "jordan", "num_layers": 2, "units": 512, "feedback_window": 16}),
    "tagger_lstm_bidirectional_2x128": (SequenceTagger, {
        "cell": "lstm", "num_layers": 2, "units": 128, "bidirectional": True}),
    "seq2seq_gru_bidirectional_bahdanau_1x256": (Seq2Seq, {
        "cell": "gru", "num_layers": 1, "units": 256, "bidirectional": True,
        "attention": "bahdanau", "embedding_dim": 128}),
    "generator_lstm_1x256": (SequenceGenerator, {
        "cell": "lstm", "num_layers": 1, "units": 256, "embedding_dim": 128}),
}
for _name, (_builder, _arguments) in RECIPE_PRESETS.items():
    register_model(_name, _builder, **_arguments)
