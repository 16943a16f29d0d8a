"""`prepare`: put local source files where TFDS's catalog builder finds them.

The file is copied into the builder's download cache under the name TFDS
would give the download, with the `.INFO` file TFDS writes after a download,
so the unchanged catalog builder then runs without network. A file whose
checksum TFDS registers is verified first; `conll2003` registers none, so
its files are checked for the CoNLL-2003 columns and tags instead.
"""

import os
import shutil
import tempfile
import zipfile

from etils import epath
import tensorflow_datasets as tfds
from tensorflow_datasets.core.dataset_builders.conll import (
    conll_dataset_builder_utils as conll_lib,
)
from tensorflow_datasets.core.download import checksums as tfds_checksums
from tensorflow_datasets.core.download import resource as tfds_resource

from rnnzoo.data import files as files_lib
from rnnzoo.data import offline

_CONLL_COLUMNS = (
    ("POS", frozenset(conll_lib.POS_TAGS)),
    ("chunk", frozenset(conll_lib.CHUNK_TAGS)),
    ("NER", frozenset(conll_lib.NER_TAGS)),
)


def prepare(name, files, *, data_dir=None, build=True, force=False):
    """Prepares a TFDS catalog dataset from local copies of its sources.

    Args:
        name: the TFDS name, e.g. `"tiny_shakespeare"`, `"conll2003"`,
            `"ted_hrlr_translate/pt_to_en"`.
        files: the local file(s): the file the builder downloads (e.g.
            `tinyshakespeare.txt` for `input.txt`, any name), or for
            `conll2003` either its zip or the three files `train.txt`,
            `valid.txt`, `test.txt` (named so, or containing "train",
            "valid"/"dev" and "test").
        data_dir: the TFDS data directory (default: TFDS's).
        build: also run the builder now (`download_and_prepare`).
        force: rebuild the dataset even if it is prepared already.

    Returns:
        The path of the cached source file.

    Raises:
        ValueError: the files are not those the builder needs (wrong
            checksum, missing parts, malformed CoNLL lines).
    """
    files = [epath.Path(os.fspath(f)).expanduser() for f in files]
    for path in files:
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such file.")
    builder = tfds.builder(name, data_dir=data_dir)
    source = offline.source_for(builder)
    with tempfile.TemporaryDirectory() as scratch:
        path = _single_file(source, files, epath.Path(scratch))
        url_info = tfds_checksums.compute_url_info(path)
        url_info = type(url_info)(
            size=url_info.size, checksum=url_info.checksum,
            filename=source.filename,
        )
        expected = offline.registered_info(builder, source)
        if expected and expected.checksum != url_info.checksum:
            raise ValueError(
                f"{files[0]} is not the file {builder.name} needs: its sha256 "
                f"is {url_info.checksum} ({int(url_info.size):,} bytes); "
                f"expected {expected.checksum} ({int(expected.size):,} bytes, "
                f"{source.filename}: {source.description})."
            )
        target = offline.cache_path(builder, source)
        _install(builder, source, path, target, url_info)
    if build:
        mode = (
            tfds.download.GenerateMode.REUSE_CACHE_IF_EXISTS if force
            else tfds.download.GenerateMode.REUSE_DATASET_IF_EXISTS
        )
        builder.download_and_prepare(
            download_config=tfds.download.DownloadConfig(
                try_download_gcs=False, download_mode=mode
            )
        )
    return target


def prepare_from_manual_dir(builder, manual_dir):
    """Caches the files of a manual directory that TFDS itself would ignore.

    TFDS reads a manual directory only for files with a registered checksum.
    For a builder without one (`conll2003`), a manual directory holding its
    archive (`conll2003.zip`) or its parts (`train.txt`, `valid.txt`,
    `test.txt`) is put in the download cache as `prepare` does.

    Returns:
        Whether files were cached.
    """
    source = offline.source_for(builder)
    if (not manual_dir or offline.registered_info(builder, source)
            or builder.is_prepared() or offline.is_cached(builder, source)):
        return False
    folder = epath.Path(os.fspath(manual_dir))
    candidates = [[folder / source.filename], [folder / p for p in source.parts]]
    for files in candidates:
        if files and all(path.is_file() for path in files):
            prepare(offline.full_name(builder), files,
                    data_dir=os.fspath(builder.data_dir_root), build=False)
            return True
    return False


def _install(builder, source, path, target, url_info):
    target.parent.mkdir(parents=True, exist_ok=True)
    info_path = tfds_resource.get_info_path(target)
    if info_path.exists():
        info_path.unlink()  # TFDS refuses to overwrite a different url_info
    # An unverified file may replace another of the same name: drop the
    # extraction TFDS made of the old one.
    stale = offline.download_dir(builder) / "extracted"
    for folder in stale.glob(f"*.{target.name}"):
        shutil.rmtree(os.fspath(folder), ignore_errors=True)
    shutil.copyfile(os.fspath(path), os.fspath(target))
    tfds_resource.write_info_file(
        url=source.url,
        path=target,
        dataset_name=builder.name,
        original_fname=source.filename,
        url_info=url_info,
    )


def _single_file(source, files, scratch):
    """The one file to cache: given, or zipped from the parts."""
    if not source.parts:
        if len(files) != 1:
            raise ValueError(
                f"Expected one file ({source.filename}), got {len(files)}."
            )
        return files[0]
    if len(files) == 1 and zipfile.is_zipfile(os.fspath(files[0])):
        _check_zip(files[0], source.parts)
        return files[0]
    parts = _match_parts(files, source.parts)
    for path in parts.values():
        check_conll2003(path)
    archive = scratch / source.filename
    with zipfile.ZipFile(os.fspath(archive), "w", zipfile.ZIP_DEFLATED) as out:
        for member, path in parts.items():
            out.write(os.fspath(path), member)
    return archive


def _check_zip(path, parts):
    with zipfile.ZipFile(os.fspath(path)) as archive:
        missing = [p for p in parts if p not in archive.namelist()]
    if missing:
        raise ValueError(
            f"{path}: the zip lacks {', '.join(missing)} at its top level."
        )


_PART_HINTS = {
    "train.txt": ("train",),
    "valid.txt": ("valid", "dev", "testa"),
    "test.txt": ("testb", "test"),
}


def _match_parts(files, parts):
    if len(files) != len(parts):
        raise ValueError(
            f"Expected a zip or the {len(parts)} files {', '.join(parts)}; "
            f"got {len(files)} file(s)."
        )
    matched = {}
    for path in files:
        lower = path.name.lower()
        member = lower if lower in parts else next(
            (p for p in parts if p not in matched
             and any(h in lower for h in _PART_HINTS.get(p, ()))),
            None,
        )
        if member is None or member in matched:
            raise ValueError(
                f"Cannot tell which of {', '.join(parts)} {path} is; name the "
                "files train.txt, valid.txt and test.txt."
            )
        matched[member] = path
    return {p: matched[p] for p in parts}


def check_conll2003(path):
    """Checks a CoNLL-2003 file: 4 space-separated columns, known tags.

    Raises:
        DataFileError: `file:line: ...` for the first malformed line.
    """
    lines = files_lib.read_lines(path)
    for number, line in lines:
        if not line or line.startswith("-DOCSTART-"):
            continue
        fields = line.split(" ")
        if len(fields) != 4:
            raise files_lib.DataFileError(
                f"{files_lib.where(path, number)}: expected 4 space-separated fields "
                f"(token POS chunk NER), found {len(fields)}"
            )
        for (column, known), value in zip(_CONLL_COLUMNS, fields[1:]):
            if value not in known:
                raise files_lib.DataFileError(
                    f"{files_lib.where(path, number)}: unknown {column} tag {value!r}"
                )
