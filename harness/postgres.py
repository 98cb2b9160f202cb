"""A real PostgreSQL server for the tests, started in a temporary folder on a free port.

Debian's ``postgresql`` package (``.ci/run`` installs it). PostgreSQL refuses to run as root,
so when the tests run as root the server's folder belongs to ``postgres`` and its programs run
as that user (``runuser``); its socket and data stay in the folder, it listens on 127.0.0.1
only, and trusts local connections.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

from harness.fake_printer import free_port


def bindir() -> Path:
    """Where the server's programs are (Debian keeps them off the PATH)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parent.parent.name))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb is None:
        raise RuntimeError("PostgreSQL's server is not installed (Debian: postgresql)")
    return Path(initdb).resolve().parent


def as_server_user(argv: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


class Postgres:
    """One PostgreSQL server: ``url(db)`` to connect, ``create()`` a fresh database,
    ``kill()`` (SIGKILL, as a crash) and ``start()`` again."""

    def __init__(self, root: Path | None = None, port: int | None = None,
                 data: Path | None = None, connections: int = 200,
                 running: bool = False) -> None:
        """A new server (``initdb``), or one on an existing data folder (``data``);
        ``running``: the server on ``root`` and ``port`` is up already (another process of
        the test run started it)."""
        self.root = root or Path(tempfile.mkdtemp(prefix="fairpos-pg-"))
        self.data = data or self.root / "data"
        self.port = port or free_port()
        self.bin = bindir()
        self.count = 0
        self.connections = connections
        self.owned = not running
        if running:
            return
        self.root.chmod(0o755)
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        if data is None:
            self.run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres",
                     "-E", "UTF8", "--locale=C", "--no-sync")
        self.start()

    @classmethod
    def replica_of(cls, primary: Postgres) -> Postgres:
        """A streaming replica of ``primary`` (``pg_basebackup -R``), started, read-only."""
        root = Path(tempfile.mkdtemp(prefix="fairpos-pg-replica-"))
        root.chmod(0o755)
        if os.geteuid() == 0:
            shutil.chown(root, "postgres", "postgres")
        data = root / "data"
        primary.run("pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port), "-U",
                    "postgres", "-D", str(data), "-R", "-X", "stream", "--no-sync",
                    "--checkpoint=fast")
        return cls(root, data=data)

    def sql(self, statement: str, db: str = "postgres") -> list[tuple[object, ...]]:
        with psycopg.connect(self.url(db), autocommit=True) as conn:
            cursor = conn.execute(statement.encode())
            return cursor.fetchall() if cursor.description else []

    def run(self, program: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(as_server_user([str(self.bin / program), *args]), check=True,
                              capture_output=True, text=True, timeout=120, cwd=self.root)

    def start(self, *options: str) -> None:
        settings = " ".join([f"-p {self.port}", f"-k {self.root}",
                             "-c listen_addresses=127.0.0.1", "-c fsync=off",
                             f"-c max_connections={self.connections}", *options])
        deadline = time.monotonic() + 60
        while True:  # after a kill, its last backends may hold the shared memory a moment
            try:
                self.run("pg_ctl", "-D", str(self.data), "-o", settings, "-l",
                         str(self.root / f"log-{self.port}.txt"), "-w", "-t", "60", "start")
                return
            except subprocess.CalledProcessError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def url(self, db: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{db}"

    def create(self) -> str:
        """A new, empty database; its URL."""
        self.count += 1
        name = f"ledger{self.count}_{os.getpid()}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}".encode())
        return self.url(name)

    def pid(self) -> int:
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def kill(self) -> None:
        """SIGKILL the server: no shutdown, no checkpoint."""
        pid = self.pid()
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)

    def stop(self) -> None:
        with contextlib.suppress(OSError, ValueError, IndexError):
            if not alive(self.pid()):
                return  # killed: nothing to stop (pg_ctl would wait on its pid file)
        with contextlib.suppress(subprocess.CalledProcessError, FileNotFoundError):
            self.run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def remove(self) -> None:
        if not self.owned:  # (the process that started it removes it)
            return
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie nobody reaped — no init in a container — does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"
