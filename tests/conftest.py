"""Every test runs offline: rnnzoo treats the network as absent."""

import pytest


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    monkeypatch.setenv("RNNZOO_OFFLINE", "1")
