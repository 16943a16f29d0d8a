"""How the `rnnzoo` command reports an error: exit status, one line, and
the traceback of an internal error in a log file."""

import os
import sys

from rnnzoo.errors import UsageError

#: Exit statuses of the `rnnzoo` command.
USAGE_ERROR = 2
INTERNAL_ERROR = 1
INTERRUPTED = 130


def report(error, argv, debug=False, log=None):
    """Tells the user of the `rnnzoo` command `argv` (its arguments) what
    `error` means; returns the exit status.

    - `UsageError`: `rnnzoo: error: MESSAGE`, status 2.
    - `KeyboardInterrupt`: nothing, status 130.
    - `FloatingPointError` (the loss became NaN): its message, status 1.
    - `BrokenPipeError` (the reader of the output left): nothing, status 1.
    - anything else is an internal error: a one-line summary, and a request
      to report it with the traceback, which `log(text)` writes (the run
      folder's `log.txt`; it returns the file's path, or `None` when the
      command has no run folder) or else a new file in the temporary
      folder; status 1.

    With `debug`, the traceback is printed too.
    """
    if debug:
        import traceback

        traceback.print_exception(error)
    if isinstance(error, UsageError):
        sys.stderr.write(f"rnnzoo: error: {error}\n")
        return USAGE_ERROR
    if isinstance(error, KeyboardInterrupt):
        return INTERRUPTED
    if isinstance(error, FloatingPointError):
        sys.stderr.write(f"rnnzoo: error: {error}\n")
        return INTERNAL_ERROR
    if isinstance(error, BrokenPipeError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return INTERNAL_ERROR
    path = log_internal_error(error, argv, log)
    summary = (str(error).strip().splitlines() or [""])[0][:300]
    sys.stderr.write(
        f"rnnzoo: internal error: {type(error).__name__}: {summary}\n"
        "rnnzoo: this is a bug in rnnzoo, not a mistake in the command: please "
        f"report it with the traceback written to {path}\n")
    return INTERNAL_ERROR


def log_internal_error(error, argv, log=None):
    """Writes the traceback of `error`, the command line and the versions
    with `log(text)` (see `report`), or to a file in the temporary folder;
    returns the file's path."""
    import datetime
    import platform
    import shlex
    import tempfile
    import traceback

    from rnnzoo import __version__

    versions = [f"rnnzoo {__version__}", f"Python {platform.python_version()}"]
    versions += [f"{m} {sys.modules[m].__version__}" for m in ("tensorflow", "keras")
                 if hasattr(sys.modules.get(m), "__version__")]
    now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    text = (f"{now} internal error in: {shlex.join(['rnnzoo', *argv])}\n"
            f"{', '.join(versions)}\n" + "".join(traceback.format_exception(error)))
    try:
        path = log(text) if log else None
    except Exception:  # noqa: BLE001 (then the log goes to the temporary folder)
        path = None
    if path:
        return path
    handle, path = tempfile.mkstemp(prefix="rnnzoo-error-", suffix=".log")
    with os.fdopen(handle, "w") as f:
        f.write(text)
    return path
