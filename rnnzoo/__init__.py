"""rnnzoo: recurrent networks for Keras 3 and TensorFlow.

`import rnnzoo` loads nothing heavy and changes nothing in the importing
process (environment, loggers, file descriptors): each part loads on first
use, `rnnzoo.layers`, `rnnzoo.models`, `rnnzoo.create_model(...)` alike.
Importing `rnnzoo.models` (or `rnnzoo.layers`) registers the classes that
`keras.saving.load_model` needs for a saved rnnzoo model; `rnnzoo.data`
registers the TFDS builders.
"""

import importlib

__version__ = "0.1.0"

#: The subpackages, loaded on first use.
_PACKAGES = ("layers", "models", "data", "diagnostics", "registry", "train", "export", "cli")
#: Functions of the top-level API, and the module each lives in.
_FUNCTIONS = {
    "create_model": "rnnzoo.registry",
    "list_models": "rnnzoo.registry",
    "register_model": "rnnzoo.registry",
    "load_pretrained": "rnnzoo.export.pretrained",
}


def __getattr__(name):
    if name in _PACKAGES:
        return importlib.import_module(f"rnnzoo.{name}")
    if name in _FUNCTIONS:
        return getattr(importlib.import_module(_FUNCTIONS[name]), name)
    raise AttributeError(f"module 'rnnzoo' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_PACKAGES, *_FUNCTIONS])
