"""rnnzoo: recurrent networks for Keras 3 and TensorFlow."""

__version__ = "0.1.0"

from rnnzoo.startup import debugging  # noqa: E402
from rnnzoo.startup import quiet_tensorflow  # noqa: E402

quiet_tensorflow(debugging())
try:  # Registers the TFDS builders. Layers and models need only Keras.
    from rnnzoo import data  # noqa: E402,F401
except ModuleNotFoundError as error:  # A Keras-only machine (JAX, PyTorch).
    if error.name not in ("tensorflow", "tensorflow_datasets"):
        raise
from rnnzoo import layers  # noqa: E402,F401
from rnnzoo import models  # noqa: E402,F401
from rnnzoo.registry import create_model  # noqa: E402,F401
from rnnzoo.registry import list_models  # noqa: E402,F401
from rnnzoo.registry import register_model  # noqa: E402,F401
