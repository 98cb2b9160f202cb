"""A fake ESC/POS network printer on 127.0.0.1: it records what it is sent and answers DLE EOT
with scripted status bytes, as a real Epson-style printer does."""

from __future__ import annotations

import contextlib
import socket
import threading
import time

ONLINE = 0x12  # bits 1 and 4 always set
OFFLINE = 0x12 | 0x08
PAPER_OUT = 0x12 | 0x60
COVER_OPEN = 0x12 | 0x04


class FakePrinter:
    def __init__(self, port: int = 0, *, status: int = ONLINE, paper: int = ONLINE,
                 cause: int = ONLINE, answers: bool = True, drop_after: int | None = None,
                 seconds_per_receipt: float = 0.0) -> None:
        self.status, self.paper, self.cause = status, paper, cause
        self.answers = answers
        self.drop_after = drop_after
        self.seconds_per_receipt = seconds_per_receipt  # a real printer takes its time
        self.received = bytearray()  # everything but the status queries
        self.asked = 0  # status queries (DLE EOT) answered
        self.connections = 0
        self.server = socket.create_server(("127.0.0.1", port))
        self.port = self.server.getsockname()[1]
        self.url = f"tcp://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _addr = self.server.accept()
            except OSError:
                return
            self.connections += 1
            with conn:
                self._talk(conn)
            time.sleep(self.seconds_per_receipt)

    def _talk(self, conn: socket.socket) -> None:
        seen = 0  # 1: after DLE, 2: after DLE EOT (the next byte says what is asked)
        while True:
            try:
                chunk = conn.recv(4096)
            except OSError:
                return
            if not chunk:
                return
            for byte in chunk:
                if seen == 0 and byte == 0x10:
                    seen = 1
                elif seen == 1 and byte == 0x04:
                    seen = 2
                elif seen == 2:
                    seen = 0
                    self.asked += 1
                    if self.answers:
                        answer = {1: self.status, 2: self.cause, 4: self.paper}.get(byte, ONLINE)
                        conn.sendall(bytes([answer]))
                else:
                    if seen == 1:
                        self.received.append(0x10)
                    seen = 0
                    self.received.append(byte)
                    if self.drop_after is not None and len(self.received) >= self.drop_after:
                        return  # the line drops in the middle of every receipt

    def close(self) -> None:
        """Switch the printer off: stop listening, so its port is free again at once."""
        with contextlib.suppress(OSError):
            self.server.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
        self.server.close()
        self._thread.join(timeout=2)


def free_port() -> int:
    """A port where nothing listens (a printer that is switched off)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
