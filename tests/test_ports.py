"""The ports the tests' servers are started on (tests/postgres_helpers.py `free_port`): the suite runs on two
processes (`make test`: pytest-xdist), and neither may be handed a port the other, or the kernel, is about to use."""

from __future__ import annotations

import itertools
import socket

import pytest

from tests import postgres_helpers
from tests.postgres_helpers import PORT_BLOCK, _ephemeral_low, _port_block, free_port


def test_each_worker_has_a_block_of_ports_of_its_own_below_the_ephemeral_range(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    blocks = []
    for worker in ("gw0", "gw1", "gw2"):
        monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
        block = _port_block()
        assert block is not None and len(block) == PORT_BLOCK
        blocks.append(set(block))
        monkeypatch.setattr(postgres_helpers, "_TRIED", itertools.count())
        assert free_port() in block
    assert not blocks[0] & blocks[1] and not blocks[1] & blocks[2] and not blocks[0] & blocks[2]
    assert max(max(b) for b in blocks) < _ephemeral_low()  # never one the kernel hands to bind(0) or a connection
    monkeypatch.delenv("PYTEST_XDIST_WORKER")
    assert _port_block() == range(_ephemeral_low() - PORT_BLOCK, _ephemeral_low())  # without xdist: the first


def test_a_port_something_listens_on_is_passed_over(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(postgres_helpers, "_TRIED", itertools.count())
    first = free_port()
    monkeypatch.setattr(postgres_helpers, "_TRIED", itertools.count())  # the same walk again: `first` comes first
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", first))
        taken.listen()
        port = free_port()
        assert port != first
        with socket.socket() as server:
            server.bind(("127.0.0.1", port))  # free indeed


def test_without_room_below_the_ephemeral_range_the_kernel_picks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(postgres_helpers, "_ephemeral_low", lambda: 2000)
    assert _port_block() is None
    port = free_port()
    with socket.socket() as server:
        server.bind(("127.0.0.1", port))
