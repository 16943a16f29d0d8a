"""Catalog datasets on machines without network: what a builder needs.

TFDS's own builders download their source files into
`DATA_DIR/downloads/<dataset>/`, named by
`tensorflow_datasets.core.download.resource.get_dl_fname` and described by a
`.INFO` JSON file beside each. A file found there, or in the manual
directory for builders that register a checksum, is used without network.
`ensure_prepared` checks for that *before* `download_and_prepare`, so a
dataset that is neither prepared nor downloadable fails in seconds with a
message naming the files and the command to prepare them, instead of after
minutes of download retries.

Set the environment variable `RNNZOO_OFFLINE=1` to never try the network.
"""

import dataclasses
import os
import socket
import threading
import urllib.parse

from etils import epath
import tensorflow_datasets as tfds
from tensorflow_datasets.core.download import resource as tfds_resource

from rnnzoo.errors import UsageError

PROBE_TIMEOUT = 3.0


@dataclasses.dataclass(frozen=True)
class Source:
    """A file a TFDS catalog builder downloads.

    Attributes:
        url: the URL the builder downloads.
        filename: the name to give the file (in a manual directory).
        description: what the file is, for the user.
        parts: for an archive `rnnzoo data prepare` can also assemble, the
            member files it accepts instead.
    """

    url: str
    filename: str
    description: str
    parts: tuple = ()


SOURCES = {
    "tiny_shakespeare": Source(
        url="https://raw.githubusercontent.com/karpathy/char-rnn/master/"
        "data/tinyshakespeare/input.txt",
        filename="input.txt",
        description="karpathy/char-rnn data/tinyshakespeare/input.txt",
    ),
    "imdb_reviews": Source(
        url="http://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz",
        filename="aclImdb_v1.tar.gz",
        description="the Large Movie Review Dataset v1.0 archive",
    ),
    "conll2003": Source(
        url="https://data.deepai.org/conll2003.zip",
        filename="conll2003.zip",
        description=(
            "the CoNLL-2003 English NER data: a zip of train.txt, valid.txt "
            "and test.txt, or those three files (columns: token POS chunk "
            "NER, space-separated)"
        ),
        parts=("train.txt", "valid.txt", "test.txt"),
    ),
    "ted_hrlr_translate": Source(
        url="http://www.phontron.com/data/qi18naacl-dataset.tar.gz",
        filename="qi18naacl-dataset.tar.gz",
        description="the TED talks archive of Qi et al. (2018)",
    ),
}


class DatasetNotAvailableError(UsageError, RuntimeError):
    """A catalog dataset is not prepared and cannot be downloaded.

    A `UsageError` (the user can provide the files) and, as before, a
    `RuntimeError`.
    """


def source_for(builder):
    """The `Source` of a builder, or a `UsageError` naming the known ones."""
    try:
        return SOURCES[builder.name]
    except KeyError:
        raise UsageError(
            f"rnnzoo does not know the source files of {builder.name!r}; "
            f"known: {', '.join(sorted(SOURCES))}."
        ) from None


def registered_info(builder, source):
    """The size and checksum TFDS registers for the source, or `None`."""
    return (builder.url_infos or {}).get(source.url)


def download_dir(builder):
    return epath.Path(builder.data_dir_root) / "downloads"


def cache_path(builder, source):
    """Where the builder looks for the downloaded source file."""
    info = registered_info(builder, source)
    checksum = info.checksum if info else None
    name = tfds_resource.get_dl_fname(source.url, checksum)
    return download_dir(builder) / builder.name / name


def _candidates(builder, source):
    info = registered_info(builder, source)
    names = [tfds_resource.get_dl_fname(source.url)]
    if info:
        names.insert(0, tfds_resource.get_dl_fname(source.url, info.checksum))
    root = download_dir(builder)
    # The current layout has a folder per dataset; older TFDS had none.
    return [base / name for base in (root / builder.name, root) for name in names]


def is_cached(builder, source):
    return any(
        path.exists() and tfds_resource.get_info_path(path).exists()
        for path in _candidates(builder, source)
    )


def in_manual_dir(builder, source, manual_dir):
    """Whether TFDS will take the file from the manual directory.

    TFDS reads a manual directory only for files whose checksum it
    registers (it verifies the file against it).
    """
    if registered_info(builder, source) is None:
        return False
    folder = epath.Path(manual_dir) if manual_dir else download_dir(builder) / "manual"
    return (folder / source.filename).exists()


def offline_by_setting():
    """Whether the environment variable `RNNZOO_OFFLINE` forbids the network."""
    value = os.environ.get("RNNZOO_OFFLINE", "").strip().lower()
    return value not in ("", "0", "false", "no")


def _reachable(host, port):
    # In a thread, so that a slow name lookup cannot hold us either.
    result = []

    def probe():
        try:
            socket.create_connection((host, port), PROBE_TIMEOUT).close()
            result.append(True)
        except OSError:
            result.append(False)

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(PROBE_TIMEOUT)
    return bool(result and result[0])


def is_offline(urls=()):
    """Whether a source host is unreachable (or `RNNZOO_OFFLINE` is set).

    Each host gets one TCP connection attempt of at most `PROBE_TIMEOUT`
    seconds, name lookup included.
    """
    if offline_by_setting():
        return True
    for url in urls:
        parsed = urllib.parse.urlparse(url)
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        if not _reachable(parsed.hostname, port):
            return True
    return False


def tfds_is_mocked():
    # Inside `tfds.testing.mock_data`, `download_and_prepare` is a no-op
    # defined in the testing module and no files are needed.
    method = tfds.core.DatasetBuilder.download_and_prepare
    return getattr(method, "__module__", "").startswith("tensorflow_datasets.testing")


def not_available_message(builder, source, reason):
    info = registered_info(builder, source)
    facts = [source.url]
    if info:
        facts.append(f"{int(info.size):,} bytes, sha256 {info.checksum}")
    provide = source.filename
    if source.parts:
        provide += " (or " + ", ".join(source.parts) + ")"
    data_dir = os.fspath(builder.data_dir_root)
    name = full_name(builder)
    lines = [
        f"{name} is not prepared in {data_dir} and cannot be downloaded "
        f"({reason}).",
        f"Provide {provide}: {source.description}; {'; '.join(facts)}.",
        "Then run:",
        f"  rnnzoo data prepare {name} --from FILE... --data-dir {data_dir}",
    ]
    if info:
        lines.append(
            f"or pass manual_dir=DIR (--manual-dir DIR), a folder holding "
            f"{source.filename}."
        )
    return "\n".join(lines)


def full_name(builder):
    """`name/config` for a builder with several configs, else `name`."""
    if len(type(builder).builder_configs) > 1:
        return f"{builder.name}/{builder.builder_config.name}"
    return builder.name


def ensure_prepared(builder, *, manual_dir=None):
    """Prepares a catalog builder from local files, or fails fast.

    Args:
        builder: a TFDS catalog builder listed in `SOURCES`.
        manual_dir: TFDS's manual directory (files named as in the
            builder's `checksums.tsv`, e.g. `input.txt`).

    Raises:
        DatasetNotAvailableError: within seconds, when the dataset is not
            prepared, its source file is not local and its host cannot be
            reached.
    """
    if tfds_is_mocked() or builder.is_prepared():
        return
    source = source_for(builder)
    local = is_cached(builder, source) or in_manual_dir(builder, source, manual_dir)
    if not local and is_offline([source.url]):
        reason = (
            "RNNZOO_OFFLINE is set" if offline_by_setting()
            else f"{urllib.parse.urlparse(source.url).hostname} is unreachable"
        )
        raise DatasetNotAvailableError(
            not_available_message(builder, source, reason)
        )
    config = tfds.download.DownloadConfig(
        manual_dir=manual_dir, try_download_gcs=not local
    )
    builder.download_and_prepare(download_config=config)
