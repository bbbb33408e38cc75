"""Test-wide guards and shared fixtures.

No test reaches the network or a real model: any socket connection to a non-loopback
address fails, and connections to the configured model endpoint fail unless the test is
marked ``live_model`` (the separate live-model CI step selects those with ``-m live_model``).

Tests that read the golden sets (``../shared/golden`` beside the clone) are marked ``golden``
(``pytest -m golden`` runs exactly them): without the folder they skip at setup, saying why
(``tests/golden_helpers.py``).
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests import golden_helpers
from tests.golden_helpers import DIGITAL as DIGITAL
from tests.golden_helpers import GOLDEN as GOLDEN
from tests.golden_helpers import GOLDEN_MISSING
from tests.golden_helpers import SCANS as SCANS
from tests.golden_helpers import golden_required as golden_required

_real_connect = socket.socket.connect


def _is_loopback(address: object) -> bool:
    host = address[0] if isinstance(address, tuple) else address
    return isinstance(host, str) and (host.startswith("127.") or host in ("::1", "localhost"))


@pytest.fixture(autouse=True)
def _no_network(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    live = request.node.get_closest_marker("live_model") is not None

    def guarded(self: socket.socket, address: object) -> object:
        if self.family == socket.AF_UNIX:
            return _real_connect(self, address)  # type: ignore[arg-type]
        if not _is_loopback(address):
            raise RuntimeError(f"tests must not reach the network (tried {address!r})")
        port = address[1] if isinstance(address, tuple) and len(address) > 1 else None
        if not live and port in _model_ports():
            raise RuntimeError(
                f"real model call to {address!r} outside a live_model test: give the client a fake transport"
            )
        return _real_connect(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded)


def _model_ports() -> set[int]:
    from urllib.parse import urlparse

    from jixiao.settings import Settings

    s = Settings()
    ports = {s.llm_port}  # the embedded server's port
    if s.llm_base_url:
        p = urlparse(s.llm_base_url).port
        if p:
            ports.add(p)
    return ports


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    golden_helpers.running[:] = [item]
    if item.get_closest_marker("golden") is not None and not GOLDEN.is_dir():
        pytest.skip(GOLDEN_MISSING)


@pytest.fixture(scope="session")
def golden_dir() -> Path:
    golden_required()
    return GOLDEN
