"""A fake label printer on a real TCP socket, speaking ZPL's or TSPL's status bytes: it
answers ``~HS`` (three STX … ETX CR LF strings) or ``ESC ! ?`` (one byte) as a Zebra or a TSC
does, and keeps everything else it is sent."""

from __future__ import annotations

import contextlib
import socket
import threading


class FakeLabelPrinter:
    def __init__(self, language: str) -> None:
        self.language = language
        self.paper_out = self.head_open = self.paused = False
        self.received = bytearray()  # everything but the status questions
        self.asked = 0
        self.server = socket.create_server(("127.0.0.1", 0))
        self.url = f"tcp://127.0.0.1:{self.server.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def status(self) -> bytes:
        if self.language == "tspl":
            return bytes([(0x01 if self.head_open else 0) | (0x04 if self.paper_out else 0)
                          | (0x10 if self.paused else 0)])
        first = f"030,{int(self.paper_out)},{int(self.paused)},1245,000,0,0,0,000,0,0,0"
        second = f"000,0,{int(self.head_open)},0,0,2,4,0,00000000,1,000"
        return b"".join(b"\x02" + s.encode() + b"\x03\r\n" for s in (first, second, "1234,0"))

    def _serve(self) -> None:
        while True:
            try:
                conn, _addr = self.server.accept()
            except OSError:
                return
            with conn:
                self._talk(conn)

    def _talk(self, conn: socket.socket) -> None:
        question = b"~HS" if self.language == "zpl" else b"\x1b!?"
        pending = b""
        while True:
            try:
                chunk = conn.recv(4096)
            except OSError:
                return
            if not chunk:
                return
            pending += chunk
            while question in pending:
                before, _q, pending = pending.partition(question)
                self.received += before
                self.asked += 1
                conn.sendall(self.status())
            # (a question cut between two reads waits for its end; the rest is the label's)
            keep = next((n for n in range(len(question) - 1, 0, -1)
                         if pending.endswith(question[:n])), 0)
            self.received += pending[:len(pending) - keep]
            pending = pending[len(pending) - keep:]

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.server.shutdown(socket.SHUT_RDWR)
        self.server.close()
