"""Shared test setup: no network, no global state, local model cost map.

Fixtures live in ``tests/fixtures/`` (one module per concern) and are loaded here.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import tempfile

import pytest

# litellm fetches its price list at import unless told to use the bundled copy; DSPy
# caches under the home directory unless pointed elsewhere. Both must hold before any
# test module imports them.
os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
os.environ.setdefault("DSPY_CACHEDIR", tempfile.mkdtemp(prefix="polca-dspy-cache-"))
for _var in ("POLCA_MODEL", "POLCA_API_BASE", "POLCA_DB", "POLCA_SANDBOX"):
    os.environ.pop(_var, None)
for _var in [v for v in os.environ if v.startswith(("POLCA_OPTIMIZE_", "POLCA_SEARCH_", "POLCA_SANDBOX_"))]:
    os.environ.pop(_var)

pytest_plugins = ["tests.fixtures.llm_server", "tests.fixtures.store", "tests.fixtures.real_model"]

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _check_loopback(address) -> None:
    if not isinstance(address, tuple):
        return  # AF_UNIX paths and the like stay on this machine
    host = address[0]
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        if host != "localhost":
            raise RuntimeError(
                f"test tried to reach {host!r}: tests must not touch the network"
            ) from None
        return
    if not ip.is_loopback:
        raise RuntimeError(f"test tried to reach {host}: tests must not touch the network")


def _guarded_connect(self, address):
    _check_loopback(address)
    return _real_connect(self, address)


def _guarded_connect_ex(self, address):
    _check_loopback(address)
    return _real_connect_ex(self, address)


@pytest.fixture(autouse=True, scope="session")
def _no_network():
    """Any connection from the test process to a non-loopback address fails the test."""
    socket.socket.connect = _guarded_connect
    socket.socket.connect_ex = _guarded_connect_ex
    yield
    socket.socket.connect = _real_connect
    socket.socket.connect_ex = _real_connect_ex
