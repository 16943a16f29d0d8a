"""Argument checks and "did you mean" suggestions, in one message style.

Keras's: "Argument `units` must be a positive integer. Received: units=0".
The checks raise `ValueError`, as Keras's layers do; code that knows a value
came from the user raises `rnnzoo.errors.UsageError` (a `ValueError`) with
`suggest`. Plain Python, no TensorFlow: `rnnzoo.layers`, the models and the
data package all use it.
"""

import difflib


def check_positive_int(value, name):
    """Returns `value` as an `int`, or raises if it is not an integer >= 1."""
    return check_min_int(value, 1, name)


def check_min_int(value, minimum, name):
    """Returns `value` as an `int`, or raises if it is not an integer >=
    `minimum`. A `bool` is not an integer here; a NumPy integer is."""
    if isinstance(value, bool) or not hasattr(value, "__index__") or value < minimum:
        expected = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        fail(name, expected, value)
    return int(value)


def check_rate(value, name):
    """Returns `value` as a `float`, or raises if it is not in [0, 1)."""
    try:
        rate = float(value)
    except (TypeError, ValueError):
        rate = None
    if isinstance(value, bool) or rate is None or not 0.0 <= rate < 1.0:
        fail(name, "a float in [0, 1)", value)
    return rate


def check_choice(value, choices, name):
    """Returns `value` if it is one of `choices`, else raises, suggesting
    the closest valid name."""
    if value in choices:
        return value
    fail(name, f"one of {[str(choice) for choice in choices]}", value,
         suggest(value, choices))


def suggest(name, names, n=1):
    """`" Did you mean 'x'?"` (with `n > 1`: `'x', 'y' or 'z'`) for the
    closest of `names`, or `""` when none is close."""
    by_text = {str(candidate): candidate for candidate in names}
    close = difflib.get_close_matches(str(name), list(by_text), n=n)
    if not close:
        return ""
    quoted = [repr(by_text[text]) for text in close]
    listed = quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"
    return f" Did you mean {listed}?"


def fail(name, expected, value, hint=""):
    """Raises the `ValueError` "Argument `name` must be `expected`.
    Received: name=value" (an integer shown as a plain number), then
    `hint` (a `suggest` text)."""
    if not isinstance(value, bool) and hasattr(value, "__index__"):
        shown = int(value)
    else:
        shown = repr(value)
    message = f"Argument `{name}` must be {expected}. Received: {name}={shown}"
    raise ValueError(f"{message}.{hint}" if hint else message)
