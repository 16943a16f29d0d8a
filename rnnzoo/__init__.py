"""rnnzoo: recurrent networks for Keras 3 and TensorFlow."""

__version__ = "0.1.0"

from rnnzoo import layers  # noqa: E402,F401
