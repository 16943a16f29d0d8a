"""Errors the user can fix, told apart from failures of rnnzoo itself.

The library raises them; the `rnnzoo` command reports them
(`rnnzoo.cli.report`).
"""


class UsageError(ValueError):
    """A mistake the user can fix: a setting, a name, a file or a folder.

    Its message says what was given and what is expected. The `rnnzoo`
    command prints it on one line and exits with status 2; any other
    exception is an internal error (status 1, traceback in a log file). It
    subclasses `ValueError`, so callers that catch `ValueError` see no
    change.
    """
