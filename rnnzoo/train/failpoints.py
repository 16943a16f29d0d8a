"""Fault injection for the robustness tests: stop a run at a named phase.

With `RNNZOO_FAILPOINT="PHASE:MARKER"` (`PHASE` one of `PHASES`, optionally
`PHASE@EPOCH`), a run that reaches that phase writes `MARKER` (a JSON file
naming the phase and epoch) and waits there until it is killed: a test
then knows its `kill -9` landed in the phase it names. Unset (always, but
in tests), `failpoint` does nothing.
"""

import json
import os
import time

PHASES = ("loading", "mid_epoch", "between_epochs", "evaluating", "exporting")
VARIABLE = "RNNZOO_FAILPOINT"


def failpoint(phase, epoch=None):
    """Stops here if the environment names this phase (and epoch)."""
    spec = os.environ.get(VARIABLE)
    if not spec:
        return
    where, marker = spec.split(":", 1)
    name, _, at = where.partition("@")
    if name != phase or (at and epoch is not None and int(at) != epoch):
        return
    tmp = f"{marker}.tmp"
    with open(tmp, "w") as f:
        json.dump({"phase": phase, "epoch": epoch, "pid": os.getpid()}, f)
    os.replace(tmp, marker)
    while True:  # Until the test's SIGKILL.
        time.sleep(1)
