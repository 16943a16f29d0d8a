"""Catalog datasets without network: fail fast, prepare from local files."""

import shutil
import urllib.parse
import zipfile

import pytest
import tensorflow_datasets as tfds

from rnnzoo import cli
from rnnzoo import data
from rnnzoo.data import catalog
from rnnzoo.data import offline
from tests.data.conftest import SHARED_DATA

SHAKESPEARE = SHARED_DATA / "tinyshakespeare.txt"
needs_shakespeare = pytest.mark.skipif(
    not SHAKESPEARE.exists(), reason="../shared/data/tinyshakespeare.txt absent"
)


def _no_download(*args, **kwargs):
    raise AssertionError("a download was started")


@pytest.mark.parametrize("name", sorted(catalog.CATALOG))
def test_unprepared_dataset_fails_fast_naming_files_and_command(
    name, tmp_path, monkeypatch
):
    # "Fast" as behaviour, not as a timing: no download starts (TFDS itself
    # would retry for minutes); with RNNZOO_OFFLINE set nothing touches the
    # network; without it, the only contact is one probe of the source host,
    # bounded by PROBE_TIMEOUT, which here finds the host unreachable.
    monkeypatch.setattr(tfds.core.DatasetBuilder, "download_and_prepare",
                        _no_download)
    probes = []

    def unreachable(address, timeout=None, *args, **kwargs):
        probes.append((address, timeout))
        raise OSError("network is unreachable")

    monkeypatch.setattr(offline.socket, "create_connection", unreachable)
    source = offline.SOURCES[name.split("/")[0]]
    url = urllib.parse.urlparse(source.url)
    host, port = url.hostname, {"https": 443, "http": 80}[url.scheme]
    for reason, expected_probes in [
        ("RNNZOO_OFFLINE is set", []),
        (f"{host} is unreachable", [((host, port), offline.PROBE_TIMEOUT)]),
    ]:
        with pytest.raises(data.DatasetNotAvailableError) as caught:
            data.load(name, data_dir=str(tmp_path))
        assert probes == expected_probes
        message = str(caught.value)
        assert reason in message
        assert source.filename in message
        assert f"rnnzoo data prepare {name} --from FILE" in message
        assert str(tmp_path) in message
        monkeypatch.delenv("RNNZOO_OFFLINE", raising=False)


def test_sources_match_the_checksums_tfds_registers():
    for name, source in offline.SOURCES.items():
        builder_cls = tfds.builder_cls(name)
        infos = builder_cls.url_infos or {}
        if name == "conll2003":
            assert not infos  # why `prepare` is needed for it
        else:
            assert infos[source.url].filename == source.filename


@needs_shakespeare
def test_tiny_shakespeare_prepared_offline(tmp_path):
    data.prepare("tiny_shakespeare", [SHAKESPEARE], data_dir=str(tmp_path))
    [train] = tfds.as_numpy(
        tfds.load("tiny_shakespeare", split="train", data_dir=str(tmp_path))
    )
    assert len(train["text"].decode("utf-8")) == 1_003_854
    task = data.load("tiny_shakespeare", data_dir=str(tmp_path), batch_size=16)
    assert task.info["split_characters"]["train"] == 1_003_854
    assert task.vocabulary_size == 67  # 65 characters, padding, OOV
    inputs, targets = next(iter(task.test))
    assert inputs["token_ids"].shape == targets.shape == (16, 100)
    ids = task.vectorizers["tokens"](["First Citizen"]).numpy()[0]
    assert (ids > 1).all()


@needs_shakespeare
def test_tiny_shakespeare_from_manual_dir(tmp_path):
    manual = tmp_path / "manual"
    manual.mkdir()
    shutil.copyfile(SHAKESPEARE, manual / "input.txt")
    task = data.load("tiny_shakespeare", data_dir=str(tmp_path / "tfds"),
                     manual_dir=str(manual), max_length=50)
    assert task.info["split_characters"] == {
        "train": 1_003_854, "validation": 55_770, "test": 55_770,
    }


def test_a_wrong_file_fails_the_checksum(tmp_path):
    wrong = tmp_path / "input.txt"
    wrong.write_text("To be, or not to be\n")
    with pytest.raises(ValueError, match="sha256"):
        data.prepare("tiny_shakespeare", [wrong], data_dir=str(tmp_path / "a"))
    with pytest.raises(Exception, match="wrong checksum"):
        data.load("tiny_shakespeare", data_dir=str(tmp_path / "b"),
                  manual_dir=str(tmp_path))


CONLL = {
    "train.txt": "-DOCSTART- -X- -X- O\n\n"
                 "EU NNP B-NP B-ORG\nrejects VBZ B-VP O\nGerman JJ B-NP B-MISC\n"
                 "call NN I-NP O\n. . O O\n\n"
                 "Peter NNP B-NP B-PER\nBlackburn NNP I-NP I-PER\n\n",
    "valid.txt": "BRUSSELS NNP B-NP B-LOC\n1996-08-22 CD I-NP O\n\n",
    "test.txt": "SOCCER NN B-NP O\n- : O O\nJAPAN NNP B-NP B-LOC\n"
                "GET VB B-VP O\nLUCKY NNP B-NP O\n\n",
}


def _write_conll(folder, **overrides):
    folder.mkdir(exist_ok=True)
    paths = []
    for name, text in {**CONLL, **overrides}.items():
        (folder / name).write_text(text)
        paths.append(folder / name)
    return paths


def test_conll2003_prepared_from_three_files(tmp_path):
    files = _write_conll(tmp_path / "src")
    data.prepare("conll2003", files, data_dir=str(tmp_path / "tfds"))
    task = data.load("conll2003", data_dir=str(tmp_path / "tfds"), batch_size=8)
    assert task.info["source"] == "tfds"
    inputs, tags = next(iter(task.train))
    names = data.tags_from_ids(tags, inputs["token_ids"], task.label_names)
    assert sorted(names) == [["B-ORG", "O", "B-MISC", "O", "O"],
                             ["B-PER", "I-PER"]]
    [(inputs, tags)] = list(task.test)
    assert data.tags_from_ids(tags, inputs["token_ids"], task.label_names) == [
        ["O", "O", "B-LOC", "O", "O"]
    ]
    # Test tokens unseen in training are OOV (1).
    assert inputs["token_ids"].numpy().tolist() == [[1, 1, 1, 1, 1]]


def test_conll2003_prepared_from_a_zip_via_the_cli(tmp_path, capsys):
    files = _write_conll(tmp_path / "src")
    archive = tmp_path / "conll2003.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for path in files:
            out.write(path, path.name)
    assert cli.main(["data", "prepare", "conll2003", "--from", str(archive),
                     "--data-dir", str(tmp_path / "tfds")]) == 0
    assert "prepared" in capsys.readouterr().out
    builder = tfds.builder("conll2003", data_dir=str(tmp_path / "tfds"))
    # TFDS's CoNLL reader also yields an empty sentence at the end of a file
    # that ends with a blank line; the tagging pipeline drops it.
    assert builder.info.splits["train"].num_examples == 3
    task = data.load("conll2003", data_dir=str(tmp_path / "tfds"), batch_size=8)
    assert sum(int(tags.shape[0]) for _, tags in task.train) == 2


def test_conll2003_malformed_file_names_file_and_line(tmp_path):
    files = _write_conll(tmp_path / "src",
                         **{"valid.txt": "BRUSSELS NNP B-NP B-LOC\n1996 CD I-NP\n"})
    with pytest.raises(data.DataFileError, match=r"valid\.txt:2: expected 4 "):
        data.prepare("conll2003", files, data_dir=str(tmp_path / "tfds"))
    files = _write_conll(tmp_path / "src2",
                         **{"test.txt": "SOCCER NN B-NP B-TEAM\n"})
    with pytest.raises(data.DataFileError, match=r"test\.txt:1: unknown NER tag"):
        data.prepare("conll2003", files, data_dir=str(tmp_path / "tfds"))


def test_cli_prints_a_message_not_a_traceback(tmp_path, capsys):
    wrong = tmp_path / "input.txt"
    wrong.write_text("not shakespeare\n")
    with pytest.raises(SystemExit) as stop:
        cli.main(["data", "prepare", "tiny_shakespeare", "--from", str(wrong),
                  "--data-dir", str(tmp_path)])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("rnnzoo: error: ") and len(err.strip().splitlines()) == 1
    assert "sha256" in err and "Traceback" not in err
    assert cli.main(["list", "datasets"]) == 0
    out = capsys.readouterr().out
    assert "tiny_shakespeare" in out and "rnnzoo_addition" in out


def test_conll2003_from_a_manual_dir(tmp_path):
    # TFDS ignores a manual dir for conll2003 (no registered checksum);
    # rnnzoo caches its files from there.
    _write_conll(tmp_path / "manual")
    task = data.load("conll2003", data_dir=str(tmp_path / "tfds"),
                     manual_dir=str(tmp_path / "manual"))
    assert sum(int(tags.shape[0]) for _, tags in task.validation) == 1
