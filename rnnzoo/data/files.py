"""Reading the user's files: UTF-8 text, with errors that name file and line."""

import os

from rnnzoo.errors import UsageError

BINARY_PROBE = 8192


class DataFileError(UsageError):
    """A data file is missing, empty, binary, not UTF-8, or malformed.

    The message starts with `file:` or `file:line:`, e.g.
    `data.tsv:17: expected 2 tab-separated fields, found 1`.
    """


def where(path, line=None):
    """`"path"` or `"path:line"`, as the file was named by the user."""
    name = os.fspath(path)
    return name if line is None else f"{name}:{line}"


def preview(values, limit=5):
    """A list for a message: the first `limit` values, and how many more."""
    values = list(values)
    shown = repr(values[:limit])
    return shown if len(values) <= limit else f"{shown[:-1]}, ...] ({len(values):,} in all)"


def read_text(path):
    """The whole text of a UTF-8 file (a leading BOM dropped, CRLF -> LF).

    Raises:
        DataFileError: the file is missing, empty (or only whitespace),
            binary (holds a NUL byte) or not valid UTF-8.
    """
    try:
        with open(os.fspath(path), "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise DataFileError(f"{where(path)}: no such file") from None
    except IsADirectoryError:
        raise DataFileError(f"{where(path)}: is a folder, not a file") from None
    nul = data.find(b"\0", 0, BINARY_PROBE)
    if nul < 0:
        nul = data.find(b"\0")
    if nul >= 0:
        raise DataFileError(
            f"{where(path)}: looks like a binary file (a NUL byte at offset "
            f"{nul}); expected UTF-8 text"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        raise DataFileError(
            f"{where(path, line)}: not UTF-8 text (byte "
            f"0x{data[error.start]:02x} at column {column}); save the file as "
            "UTF-8"
        ) from None
    text = text.removeprefix("\ufeff").replace("\r\n", "\n")
    if not text.strip():
        raise DataFileError(f"{where(path)}: the file is empty")
    return text


def read_lines(path):
    """`(line number, line)` pairs of a UTF-8 file, without line ends."""
    text = read_text(path)
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return list(enumerate(lines, start=1))


def fields(path, number, line, count, separator="\t", what="tab-separated"):
    """Splits a line into exactly `count` non-empty fields.

    Raises:
        DataFileError: `file:line: expected 2 tab-separated fields, found 1`,
            or `file:line: field 2 is empty`.
    """
    parts = line.split(separator)
    if len(parts) != count:
        raise DataFileError(
            f"{where(path, number)}: expected {count} {what} fields, found "
            f"{len(parts)}"
        )
    for index, part in enumerate(parts, start=1):
        if not part.strip():
            raise DataFileError(f"{where(path, number)}: field {index} is empty")
    return parts
