"""Throwaway PostgreSQL clusters and Redis servers for tests, started from Debian's binaries.

Each lives in a temporary folder on a free loopback port and is stopped by the caller (the
fixtures in tests/conftest.py do it at the end of the session). `.ci/run` uses the same functions
through `python -m tests.servers` so that CI and a developer's test run start them one way.
When the binaries are missing, `missing_postgres()` / `missing_redis()` say why, for a skip message.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

# Debian keeps initdb and pg_ctl out of PATH, under one folder per major version.
_PG_BIN_GLOB = "/usr/lib/postgresql/*/bin"
_START_TIMEOUT_S = 30.0


def free_port() -> int:
    """A loopback port nobody listens on right now (the server binds it a moment later)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for folder in sorted(glob.glob(_PG_BIN_GLOB), reverse=True):
        path = Path(folder) / name
        if path.exists():
            return str(path)
    return None


def missing_postgres() -> str | None:
    """Why a PostgreSQL cluster cannot be started here, or None when it can."""
    if _pg_bin("initdb") is None or _pg_bin("pg_ctl") is None:
        return "PostgreSQL is not installed (apt-get install postgresql); .ci/run installs it"
    return None


def missing_redis() -> str | None:
    """Why a Redis server cannot be started here, or None when it can."""
    if shutil.which("redis-server") is None:
        return "redis-server is not installed (apt-get install redis-server); .ci/run installs it"
    return None


def _as_owner(command: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root, and CI runs as root: run them as `postgres`.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


@dataclass
class Postgres:
    """A running throwaway cluster; `url` reaches its `postgres` database as the superuser."""

    folder: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def database_url(self, name: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        subprocess.run(
            _as_owner(
                [_pg_bin("pg_ctl") or "pg_ctl", "-D", str(self.folder / "data"), "-m", "immediate", "stop"]
            ),
            capture_output=True,
            check=False,
        )
        shutil.rmtree(self.folder, ignore_errors=True)


def start_postgres() -> Postgres:
    """initdb a cluster in a temporary folder, trusting loopback, and start it on a free port."""
    reason = missing_postgres()
    if reason:
        raise RuntimeError(reason)
    folder = Path(tempfile.mkdtemp(prefix="songbird-pg-"))
    data = folder / "data"
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    subprocess.run(
        _as_owner(
            [_pg_bin("initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"]
        ),
        check=True,
        capture_output=True,
    )
    port = free_port()
    # fsync off: a test cluster is thrown away, and fsync costs each commit a disk flush.
    options = (
        f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    )
    subprocess.run(
        _as_owner(
            [
                _pg_bin("pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                "-l",
                str(folder / "log"),
                "-w",
                "-t",
                str(int(_START_TIMEOUT_S)),
                "start",
            ]
        ),
        check=True,
        capture_output=True,
    )
    return Postgres(folder, port)


@dataclass
class Redis:
    """A running redis-server without persistence; `url` reaches database 0."""

    process: subprocess.Popen
    port: int
    folder: Path

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.folder, ignore_errors=True)


def start_redis() -> Redis:
    """Start redis-server on a free loopback port and wait until it accepts connections."""
    reason = missing_redis()
    if reason:
        raise RuntimeError(reason)
    folder = Path(tempfile.mkdtemp(prefix="songbird-redis-"))
    port = free_port()
    process = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(folder),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + _START_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return Redis(process, port, folder)
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"redis-server did not answer on port {port} within {_START_TIMEOUT_S} s")


if __name__ == "__main__":  # pragma: no cover - used by .ci/run and by hand
    print(missing_postgres() or "postgres: ok", file=sys.stderr)
    print(missing_redis() or "redis: ok", file=sys.stderr)
