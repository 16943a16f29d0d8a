"""Fixtures of the data tests: a shared TFDS folder for the builders."""

import pathlib

import pytest
import tensorflow_datasets as tfds

import rnnzoo.data  # noqa: F401  (registers the rnnzoo builders)

tfds.disable_progress_bar()

#: The real data of the development machines, beside the project root.
SHARED_DATA = pathlib.Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


@pytest.fixture(scope="session")
def builder_dir(tmp_path_factory):
    """One TFDS data_dir for the generated builders, shared by the tests."""
    return str(tmp_path_factory.mktemp("tfds"))
