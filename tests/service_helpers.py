"""Shared by the service's tests (their fixtures `store` and `client` are in conftest.py) and its benchmarks: a
bearer header, and a real `wfm serve` started as a subprocess on 127.0.0.1 and stopped by its process id."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpx

from tests.postgres_helpers import free_port

__all__ = ["ROOT", "bearer", "free_port", "start_server", "stop_server"]

ROOT = Path(__file__).resolve().parents[1]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def start_server(
    args: Sequence[str],
    port: int,
    log: Path,
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    wait_s: float = 60.0,
) -> subprocess.Popen[bytes]:
    """`python -m wfm serve ARGS --port PORT` with this checkout on the path, its output appended to `log`, once
    it answers `/api/health`; killed, and its log raised, where it does not within `wait_s`."""
    with log.open("ab") as sink:  # the server keeps its own copy of the file
        server = subprocess.Popen(
            [sys.executable, "-m", "wfm", "serve", *args, "--port", str(port)],
            cwd=cwd,
            stdout=sink,
            stderr=subprocess.STDOUT,
            env={**(env if env is not None else os.environ), "PYTHONPATH": str(ROOT)},
        )
    end = time.monotonic() + wait_s
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2)
            return server
        except httpx.TransportError:
            if server.poll() is not None or time.monotonic() > end:
                server.kill()
                server.wait(timeout=10)
                raise RuntimeError(f"the server did not start: {log.read_text()}") from None
            time.sleep(0.3)


def stop_server(server: subprocess.Popen[bytes], timeout_s: float = 20.0) -> None:
    """Stop a server by its process id, as Ctrl-C would (SIGINT); killed where it has not stopped in `timeout_s`."""
    server.send_signal(signal.SIGINT)
    try:
        server.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=10)
