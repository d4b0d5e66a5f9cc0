"""A real PostgreSQL server for the tests that run on both stores (SQLite and PostgreSQL).

The server is a fresh cluster in a temporary folder on 127.0.0.1, run as an unprivileged user when the tests run
as root (as in CI; PostgreSQL refuses root), stopped by its process id. Where PostgreSQL's programs are not
installed the PostgreSQL cases skip, saying so; `.ci/run` installs them. The fixtures are in conftest.py:
`postgres_url` (one server per test module) and `store_url` (a fresh database per test, on each store).
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text

__all__ = ["SKIP_REASON", "free_port", "new_database", "postgres_bin", "postgres_server"]

SKIP_REASON = "PostgreSQL's server programs (initdb, pg_ctl) are not installed; .ci/run installs them"
#: How many times a server is started on a new port before the fixture gives up.
START_TRIES = 3


def postgres_bin() -> Path | None:
    """The folder of PostgreSQL's server programs (initdb, pg_ctl), on PATH or where Debian installs them."""
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).resolve().parent
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


#: How many ports each test process has to itself (`free_port`).
PORT_BLOCK = 1000
#: Counts the ports `free_port` tried in this process: each call goes on through the block where the last stopped.
_TRIED = itertools.count()


def _ephemeral_low() -> int:
    """The lowest port of the kernel's ephemeral range (Linux; 32768 where it cannot be read), where it picks
    ports for `bind(0)` and for outgoing connections."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _port_block() -> range | None:
    """This test process's own ports: under pytest-xdist, worker gwN has the N+1-th block of `PORT_BLOCK` ports
    below the ephemeral range (a run without xdist the first); None where the range leaves no room for it."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    index = int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else 0
    start = _ephemeral_low() - PORT_BLOCK * (index + 1)
    return range(start, start + PORT_BLOCK) if start >= 10_000 else None


def _bindable(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_port() -> int:
    """A port of 127.0.0.1 that nothing listens on now, for a server a test starts.

    Taken from this test process's own block of ports (`_port_block`), below the kernel's ephemeral range: the
    other pytest-xdist worker takes its ports from another block, and the kernel gives none of them to a `bind(0)`
    or an outgoing connection, so the port is still free when the server binds it a moment later (a port the
    kernel picked, released and handed to the server could be picked again meanwhile by the other worker). The
    walk through the block starts at an offset of the process id, apart from a run of another checkout beside
    this one. The kernel picks one where there is no room for the block, or every port of it is taken."""
    block = _port_block()
    if block is not None:
        for _ in range(len(block)):
            port = block[(os.getpid() + next(_TRIED)) % len(block)]
            if _bindable(port):
                return port
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        picked: int = s.getsockname()[1]
        return picked


def _user_exists(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


@contextmanager
def postgres_server(binaries: Path) -> Iterator[str]:
    """A PostgreSQL server of its own on 127.0.0.1 (user `wfm`, trust authentication): its URL, for the block."""
    # Not under pytest's own temporary folder, which only root may enter.
    folder = Path(tempfile.mkdtemp(prefix="wfm-postgres-"))
    data = folder / "data"
    run_as: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root: as an unprivileged user, owning the folder
        user = "postgres" if shutil.which("runuser") and _user_exists("postgres") else "nobody"
        shutil.chown(folder, user)
        folder.chmod(0o700)
        run_as = ["runuser", "-u", user, "--"]
    try:
        subprocess.run(
            [*run_as, str(binaries / "initdb"), "-D", str(data), "-U", "wfm", "--auth=trust", "-E", "UTF8"],
            check=True,
            capture_output=True,
        )
        # The port is picked once the cluster exists, just before the server binds it; a server that ends at once
        # (its port taken meanwhile, by a process outside this run) is started again on another port.
        for _ in range(START_TRIES):
            port = free_port()
            server = subprocess.Popen(
                [*run_as, str(binaries / "postgres"), "-D", str(data), "-h", "127.0.0.1", "-p", str(port)]
                + ["-k", str(folder)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            if _listening(server, port):
                break
            _stop(server)
        else:
            raise RuntimeError(f"the PostgreSQL server did not start ({START_TRIES} tries)")
        try:
            yield f"postgresql+psycopg://wfm@127.0.0.1:{port}/postgres"
        finally:
            _stop(server)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _listening(server: subprocess.Popen[bytes], port: int, wait_s: float = 30.0) -> bool:
    """Whether `server` accepts connections on 127.0.0.1:`port` within `wait_s` and is still running then (not
    another process's server answering on the same port)."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                return False
            time.sleep(0.2)
    time.sleep(0.5)  # accepting connections a moment after the port opens
    return server.poll() is None


def _stop(server: subprocess.Popen[bytes]) -> None:
    """A smart shutdown by process id; killed where it has not ended in 20 s."""
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=10)


def new_database(base: str) -> str:
    """The URL of a new, empty database on the server of `base` (the URL of its `postgres` database)."""
    from service.store import open_store

    name = f"t{os.getpid()}_{time.monotonic_ns()}"
    admin = open_store(base)
    try:
        with admin.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.close()
    return base.rsplit("/", 1)[0] + f"/{name}"
