"""Where the ledger's tables live: one SQLite file, or a PostgreSQL database.

The store speaks one SQL through a backend: ``transaction()`` gives a connection to run
statements on (``?`` placeholders; PostgreSQL gets them as ``%s``), ``all()`` one read. Rows
are read both by position and by name on either engine.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager
from functools import cache
from pathlib import Path
from typing import Any, Protocol

from fairpos.ledger.store.watchdog import PROBE_SECONDS, Watchdog

CONNECT_SECONDS = 4  # for a connection to a PostgreSQL server, unless the URL says


class Conn(Protocol):
    def execute(self, sql: str, params: Sequence[Any] = ...) -> Any: ...
    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> Any: ...


class Backend(Protocol):
    dialect: str  # "sqlite" or "postgresql"

    def transaction(self) -> AbstractContextManager[Conn]: ...
    def write_rows(self, conn: Conn, table: str, columns: str,
                   rows: Sequence[Sequence[Any]]) -> None: ...
    def all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]: ...
    def close(self) -> None: ...


def is_postgresql(db: str | Path) -> bool:
    return str(db).startswith(("postgresql://", "postgres://"))


def places(url: str) -> list[tuple[str, str]]:
    """The (host, port) of each server a (multi-host) PostgreSQL URL names, in its order."""
    from psycopg.conninfo import conninfo_to_dict

    given = conninfo_to_dict(url)
    hosts = str(given.get("host") or "localhost").split(",")
    ports = str(given.get("port") or "5432").split(",")
    ports = ports * len(hosts) if len(ports) == 1 else ports
    return list(zip(hosts, ports, strict=True))


def node_url(url: str, host: str, port: str, seconds: int) -> str:
    """``url`` narrowed to one of its servers, whatever its role, given ``seconds`` to
    answer."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    one = {k: v for k, v in conninfo_to_dict(url).items() if k not in ("host", "port", "hostaddr")}
    one.update(host=host, port=port, target_session_attrs="any", connect_timeout=seconds)
    return make_conninfo("", **one)


def nodes_of(url: str) -> list[tuple[str, str, str]]:
    """Each server a (multi-host) PostgreSQL URL names, as (host, port, role): ``primary``,
    ``standby``, or ``unreachable: why``."""
    import psycopg

    found = []
    for host, port in places(url):
        try:
            with psycopg.connect(node_url(url, host, port, 3)) as conn:
                standby = conn.execute("SELECT pg_is_in_recovery()").fetchone()
            role = "standby" if standby and standby[0] else "primary"
        except psycopg.Error as err:
            role = "unreachable: " + " ".join(str(err).split())[:120]
        found.append((host, port, role))
    return found


class SqliteBackend:
    """One SQLite file (WAL, ``synchronous=FULL``), one writer at a time."""

    dialect = "sqlite"

    def __init__(self, path: Path, timeout: float = 30.0) -> None:
        from fairpos.journal.db import Database

        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = Database(path, timeout=timeout)

    def transaction(self) -> AbstractContextManager[Conn]:
        return self.db.transaction()

    def write_rows(self, conn: Conn, table: str, columns: str,
                   rows: Sequence[Sequence[Any]]) -> None:
        """Plain inserts, inside ``conn``'s transaction (a key already there fails it)."""
        if rows:
            conn.executemany(f"INSERT INTO {table} ({columns}) "
                             f"VALUES ({','.join('?' * len(rows[0]))})", rows)

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self.db.lock:
            return self.db.conn.execute(sql, list(params)).fetchall()

    def close(self) -> None:
        self.db.close()


class Row(tuple[Any, ...]):
    """A PostgreSQL row read as SQLite's are: by position or by column name."""

    names: tuple[str, ...] = ()

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self.names.index(key))
        return tuple.__getitem__(self, key)

    def keys(self) -> tuple[str, ...]:
        return self.names


def _rows(cursor: Any) -> Any:
    names = tuple(column.name for column in cursor.description or ())
    kind = type("Row", (Row,), {"names": names})
    return lambda values: kind(values)


@cache
def _pg(sql: str) -> str:
    return sql.replace("%", "%%").replace("?", "%s")


class PgConn:
    """A PostgreSQL connection inside a transaction, taking the store's SQL."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        if params is None:
            return self.conn.execute(sql.encode())  # (as it is: no placeholders to read)
        return self.conn.execute(_pg(sql), list(params))

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> Any:
        cursor = self.conn.cursor()
        cursor.executemany(_pg(sql), [list(row) for row in rows])
        return cursor

    def copy(self, table: str, columns: str, rows: Sequence[Sequence[Any]]) -> None:
        with self.conn.cursor() as cursor, cursor.copy(
                f"COPY {table} ({columns}) FROM STDIN".encode()) as copy:
            for row in rows:
                copy.write_row(row)


def _session(conn: Any) -> None:
    """How each connection plans the ledger's reads: a day's lines are found through the
    indexes (the tables live in memory or on SSD: a random read costs about a sequential
    one), and no JIT compiling, which costs more than these short queries take."""
    conn.execute("SET jit = off")
    conn.execute("SET random_page_cost = 1.1")


class PostgresBackend:
    """A PostgreSQL database through a pool of connections (psycopg 3)."""

    dialect = "postgresql"

    def __init__(self, url: str, min_size: int = 1, max_size: int = 8) -> None:
        import psycopg
        from psycopg.conninfo import conninfo_to_dict
        from psycopg_pool import ConnectionPool

        # reach the server once first: a wrong address or a server that is down is one
        # clear error now, not a pool retrying in the background
        psycopg.connect(url, connect_timeout=10).close()
        logging.getLogger("psycopg.pool").addHandler(logging.NullHandler())  # said by us
        self.url = url
        self._dropped = psycopg.OperationalError
        # a server that does not answer is given up for the next of the URL's hosts after
        # CONNECT_SECONDS (unless the URL says otherwise)
        self._given = conninfo_to_dict(url)
        self._given.setdefault("connect_timeout", CONNECT_SECONDS)
        self._silent: set[tuple[str, str]] = set()  # servers the watchdog found not answering
        self.pool = ConnectionPool(self._conninfo, min_size=min_size,
                                   max_size=max_size, open=True,
                                   kwargs={"autocommit": True, "row_factory": _rows},
                                   timeout=10.0, configure=_session)
        self.watchdog = Watchdog(self._answers, self._gone)

    def _conninfo(self) -> str:
        """The URL for a new connection: a server found not answering is tried last, not
        first (each try at it costs a whole ``connect_timeout``)."""
        from psycopg.conninfo import make_conninfo

        order = sorted(places(self.url), key=lambda place: place in self._silent)
        return make_conninfo("", **{**self._given, "host": ",".join(h for h, _ in order),
                                    "port": ",".join(p for _, p in order)})

    def _gone(self, silent: set[tuple[str, int]]) -> None:
        """Servers the watchdog found not answering: tried last from now on, and the pool's
        idle connections (to them, most likely) replaced."""
        self._silent |= {(host, str(port)) for host, port in silent}
        self.pool.drain()

    def _answers(self, host: str, port: int) -> bool:
        """Whether the server at ``host``:``port`` takes a new connection (see watchdog)."""
        import psycopg

        try:
            with psycopg.connect(node_url(self.url, host, str(port), PROBE_SECONDS)) as conn:
                conn.execute("SELECT 1")
            return True
        except psycopg.Error:
            return False

    # A connection the server dropped while it sat in the pool (the server restarted, or a
    # failover) fails its first statement — BEGIN, or a read — before anything is done on
    # it: another is taken instead, and the pool discards the dead one. (Checking every
    # connection as it is taken would cost a round trip each time.)

    def _another(self, conn: Any, dead: int) -> bool:
        """After ``conn`` failed its first statement: whether to take another connection —
        the server dropped this one, and fewer than a whole pool's worth have been found
        dead (more means the server is gone, and the error is the answer)."""
        return bool(conn.broken) and dead <= self.pool.max_size

    @contextmanager
    def transaction(self) -> Iterator[Conn]:
        dead = 0
        while True:
            with ExitStack() as stack:
                conn = stack.enter_context(self.pool.connection())
                stack.enter_context(self.watchdog.watching(conn))
                try:
                    stack.enter_context(conn.transaction())
                except self._dropped:
                    dead += 1
                    if self._another(conn, dead):
                        continue
                    raise
                yield PgConn(conn)
                return

    def write_rows(self, conn: Conn, table: str, columns: str,
                   rows: Sequence[Sequence[Any]]) -> None:
        """``COPY``, inside ``conn``'s transaction (a key already there fails it): one round
        trip for a whole batch, however many rows."""
        if rows:
            assert isinstance(conn, PgConn)
            conn.copy(table, columns, rows)

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        dead = 0
        while True:
            with self.pool.connection() as conn, self.watchdog.watching(conn):
                try:
                    rows: list[Any] = conn.execute(_pg(sql), list(params)).fetchall()
                    return rows
                except self._dropped:
                    dead += 1
                    if not self._another(conn, dead):
                        raise

    def close(self) -> None:
        self.watchdog.close()
        self.pool.close()
