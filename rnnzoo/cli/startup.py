"""A quiet start: TensorFlow without the lines it prints while it loads."""

import os
import sys


def debugging():
    """Whether this process runs an `rnnzoo ... --debug` command (or has
    `RNNZOO_DEBUG` set): then TensorFlow's start-up logs are shown."""
    return "--debug" in sys.argv[1:] or bool(os.environ.get("RNNZOO_DEBUG"))


def quiet_tensorflow(debug=False):
    """Imports TensorFlow without its start-up noise, unless `debug`.

    `TF_CPP_MIN_LOG_LEVEL=3` (read once, when TensorFlow loads) hides its C++
    logs below FATAL (cpu_feature_guard, cuInit, oneDNN notes). The lines
    its libraries print while they load ("All log messages before
    absl::InitializeLog() ...", oneDNN, cudart_stub) come from C++ absl
    before any setting is read, so the import runs with file descriptor 2
    pointed at a temporary file, replayed if the import fails. absl's
    Python logging (TFDS's "Using custom data configuration") is set to
    errors only, and TFDS's progress bars are off when stderr is not a
    terminal.
    """
    if debug:
        return
    import logging
    import tempfile

    # Read when TensorFlow loads, which then sets it to 1 for child processes.
    if "tensorflow" not in sys.modules and os.environ.get("TF_CPP_MIN_LOG_LEVEL", "1") in "01":
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    if not sys.stderr.isatty():
        os.environ.setdefault("TQDM_DISABLE", "1")
    if "tensorflow" not in sys.modules:
        sys.stderr.flush()
        saved = os.dup(2)
        with tempfile.TemporaryFile() as captured:
            os.dup2(captured.fileno(), 2)
            try:
                import tensorflow  # noqa: F401
            except ModuleNotFoundError:  # A Keras-only machine (JAX, PyTorch).
                return
            except BaseException:
                sys.stderr.flush()
                os.dup2(saved, 2)
                captured.seek(0)
                sys.stderr.write(captured.read().decode("utf-8", "replace"))
                raise
            finally:
                sys.stderr.flush()
                os.dup2(saved, 2)
                os.close(saved)
    import absl.logging

    absl.logging.set_verbosity(absl.logging.ERROR)
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
