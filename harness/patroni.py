"""A PostgreSQL cluster that fails over by itself, for the tests and benchmarks: one etcd and two
or three PostgreSQL nodes under Patroni (Debian's ``etcd-server`` and ``patroni``, which
``.ci/run`` installs), all on 127.0.0.1 ports with their data in a temporary folder — as the
``postgres`` user when the tests run as root, as PostgreSQL wants.

``url(db)`` is the multi-host URL a ledger is given (``target_session_attrs=read-write``: the
primary, wherever it is now); ``leader()`` names the node that leads; ``kill_leader()`` is a
crash (SIGKILL to Patroni and its postmaster), ``pause(node)``/``resume(node)`` a frozen machine
(SIGSTOP), ``stop_etcd()``/``start_etcd()`` the consensus store gone and back.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import psycopg

from harness.fake_printer import free_port
from harness.postgres import alive, as_server_user, bindir

NODE = """scope: fairpos
name: {name}
restapi:
  listen: 127.0.0.1:{api}
  connect_address: 127.0.0.1:{api}
etcd3:
  hosts: 127.0.0.1:{etcd}
bootstrap:
  dcs:
    ttl: {ttl}
    loop_wait: 1
    retry_timeout: {retry}
    maximum_lag_on_failover: {lag}
    synchronous_mode: {synchronous}
    postgresql:
      use_pg_rewind: true
      parameters:
        max_connections: 300
        wal_log_hints: "on"
  initdb:
    - encoding: UTF8
    - locale: C
  pg_hba:
    - local all all trust
    - host all all 127.0.0.1/32 trust
    - host replication all 127.0.0.1/32 trust
postgresql:
  listen: 127.0.0.1:{port}
  connect_address: 127.0.0.1:{port}
  data_dir: {root}/{name}
  bin_dir: {bin}
  pgpass: {root}/pgpass-{name}
  authentication:
    superuser:
      username: postgres
    replication:
      username: postgres
  parameters:
    unix_socket_directories: {root}
    fsync: "off"
"""


def wait(condition: Callable[[], bool], what: str, seconds: float = 120.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {seconds} s")
        time.sleep(0.2)


class PatroniCluster:
    def __init__(self, nodes: int = 2, synchronous: bool = True, ttl: int = 10,
                 lag_on_failover: int = 1 << 20) -> None:
        """``lag_on_failover``: how many bytes of WAL a standby may lack and still be
        promoted (without ``synchronous``, what a failover may lose)."""
        self.root = Path(tempfile.mkdtemp(prefix="fairpos-patroni-"))
        self.root.chmod(0o755)
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self.etcd_port, self.etcd_peer = free_port(), free_port()
        self.names = [f"n{i}" for i in range(1, nodes + 1)]
        self.ports = {name: free_port() for name in self.names}
        self.apis = {name: free_port() for name in self.names}
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.etcd: subprocess.Popen[bytes] | None = None
        self.frozen: list[int] = []
        self.start_etcd()
        for name in self.names:
            config = self.root / f"{name}.yml"
            config.write_text(NODE.format(
                name=name, api=self.apis[name], etcd=self.etcd_port, ttl=ttl,
                retry=max(2, ttl // 2), synchronous=str(synchronous).lower(),
                lag=lag_on_failover,
                port=self.ports[name], root=self.root, bin=bindir()))
            if os.geteuid() == 0:
                shutil.chown(config, "postgres", "postgres")
        self.start(self.names[0])
        wait(lambda: self.leader() == self.names[0], "the first node leading")
        for name in self.names[1:]:
            self.start(name)
        wait(lambda: self.replicas_streaming() == len(self.names) - 1, "the replicas streaming")
        if synchronous:
            wait(lambda: any(m.get("role") == "sync_standby" for m in self.members()),
                 "a synchronous standby")

    # -- processes -----------------------------------------------------------------------

    def start_etcd(self) -> None:
        self.etcd = subprocess.Popen(as_server_user([
            "etcd", "--name", "e1", "--data-dir", str(self.root / "etcd"),
            "--listen-client-urls", f"http://127.0.0.1:{self.etcd_port}",
            "--advertise-client-urls", f"http://127.0.0.1:{self.etcd_port}",
            "--listen-peer-urls", f"http://127.0.0.1:{self.etcd_peer}",
            "--initial-advertise-peer-urls", f"http://127.0.0.1:{self.etcd_peer}",
            "--initial-cluster", f"e1=http://127.0.0.1:{self.etcd_peer}"]),
            stdout=(self.root / "etcd.log").open("ab"), stderr=subprocess.STDOUT,
            start_new_session=True)
        wait(lambda: self._get(f"http://127.0.0.1:{self.etcd_port}/version") is not None,
             "etcd answering")

    def stop_etcd(self) -> None:
        if self.etcd is not None:
            os.killpg(self.etcd.pid, signal.SIGKILL)
            self.etcd.wait(timeout=30)
            self.etcd = None

    def start(self, name: str) -> None:
        self.processes[name] = subprocess.Popen(
            as_server_user(["patroni", str(self.root / f"{name}.yml")]),
            stdout=(self.root / f"{name}.log").open("ab"), stderr=subprocess.STDOUT,
            start_new_session=True)

    def postmaster(self, name: str) -> int | None:
        try:
            return int((self.root / name / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def kill(self, name: str) -> None:
        """A crash of ``name``'s machine: Patroni and PostgreSQL killed, nothing shut down."""
        process = self.processes.pop(name)
        pid = self.postmaster(name)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        if pid is not None and alive(pid):
            os.kill(pid, signal.SIGKILL)
            wait(lambda: not alive(pid), "the postmaster gone", 30)

    def switchover(self) -> str:
        """The lead moved to the standby, as for maintenance (Patroni's REST API, as
        ``patronictl switchover`` does); the new leader's name, once it takes writes."""
        leader = self.leader()
        assert leader is not None, "no leader to move"
        candidate = next(name for name in self.names if name != leader)
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.apis[leader]}/switchover", method="POST",
            data=json.dumps({"leader": leader, "candidate": candidate}).encode(),
            headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60):
            pass
        wait(lambda: self.leader() == candidate and self.writable(), "the switchover", 120)
        return candidate

    def kill_leader(self) -> str:
        leader = self.leader()
        assert leader is not None, "no leader to kill"
        self.kill(leader)
        return leader

    def pause(self, name: str) -> None:
        """The node frozen, as a paused machine or a hung disk: Patroni, its postmaster and
        every PostgreSQL process of it stopped (SIGSTOP); the kernel still takes connections
        and bytes for them."""
        os.killpg(self.processes[name].pid, signal.SIGSTOP)
        for pid in self._node_processes(name):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGSTOP)

    def resume(self, name: str) -> None:
        for pid in self._node_processes(name):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
        os.killpg(self.processes[name].pid, signal.SIGCONT)

    def _node_processes(self, name: str) -> list[int]:
        """The postmaster of ``name`` and its children."""
        postmaster = self.postmaster(name)
        if postmaster is None:
            return []
        return [postmaster, *(int(stat.parent.name) for stat in Path("/proc").glob("[0-9]*/stat")
                              if self._child_of(int(stat.parent.name), name))]

    def walsenders(self, name: str) -> list[int]:
        """The processes of ``name`` that send its WAL to the standbys."""
        found = []
        for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                command = cmdline.read_bytes().replace(b"\0", b" ")
            except OSError:
                continue
            if b"walsender" in command and self._child_of(int(cmdline.parent.name), name):
                found.append(int(cmdline.parent.name))
        return found

    def _child_of(self, pid: int, name: str) -> bool:
        try:
            parent = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            return False
        return parent == self.postmaster(name)

    def cut_replication(self) -> None:
        """The leader stops sending WAL (its senders frozen, before a byte more leaves): the
        standbys get nothing more, all else runs on."""
        leader = self.leader()
        assert leader is not None
        senders = self.walsenders(leader)
        assert senders, f"{leader} sends no WAL"
        for pid in senders:
            os.kill(pid, signal.SIGSTOP)
        self.frozen = senders

    def mend_replication(self) -> None:
        """(After the leader was killed:) its frozen senders gone too."""
        for pid in self.frozen:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.frozen = []

    # -- what it says ----------------------------------------------------------------------

    @staticmethod
    def _get(url: str) -> object | None:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                return json.loads(answer.read() or b"null")
        except (OSError, ValueError):
            return None

    def members(self) -> list[dict[str, object]]:
        for name in self.processes:
            cluster = self._get(f"http://127.0.0.1:{self.apis[name]}/cluster")
            if isinstance(cluster, dict):
                return list(cluster.get("members", []))
        return []

    def leader(self) -> str | None:
        for member in self.members():
            if member.get("role") == "leader" and member.get("state") == "running":
                return str(member["name"])
        return None

    def writable(self) -> bool:
        """Whether a primary takes writes now (Patroni names a new leader a moment before its
        PostgreSQL has left recovery)."""
        try:
            with psycopg.connect(self.url(), connect_timeout=3) as conn:
                conn.execute("SELECT 1")
            return True
        except psycopg.Error:
            return False

    def failed_over(self, before: str | None, seconds: float = 120.0) -> str:
        """Wait until a node other than ``before`` leads and takes writes; its name."""
        wait(lambda: self.leader() not in (None, before) and self.writable(),
             "a new primary taking writes", seconds)
        leader = self.leader()
        assert leader is not None
        return leader

    def replicas_streaming(self) -> int:
        return sum(1 for m in self.members()
                   if m.get("role") in ("replica", "sync_standby")
                   and m.get("state") in ("running", "streaming"))

    def url(self, db: str = "postgres", attrs: str = "read-write") -> str:
        hosts = ",".join(f"127.0.0.1:{self.ports[name]}" for name in self.names)
        return f"postgresql://postgres@{hosts}/{db}?target_session_attrs={attrs}"

    def create(self) -> str:
        """A new, empty database on the cluster; its multi-host URL."""
        name = f"ledger_{os.getpid()}_{free_port()}"
        with psycopg.connect(self.url(), autocommit=True, connect_timeout=10) as conn:
            conn.execute(f"CREATE DATABASE {name}".encode())
        return self.url(name)

    def remove(self) -> None:
        for name in list(self.processes):
            self.kill(name)
        self.stop_etcd()
        shutil.rmtree(self.root, ignore_errors=True)
