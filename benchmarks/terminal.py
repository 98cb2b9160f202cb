"""A program in a real pseudo-terminal, its output rendered by a terminal emulator (pyte).

Used by the till benchmarks: the clock stops when text is on the *rendered* screen, as a person
would see it, not when the program thinks it has drawn it.
"""

from __future__ import annotations

import fcntl
import os
import select
import signal
import struct
import subprocess
import termios
import threading
import time
from collections.abc import Callable, Sequence

import pyte


class Terminal:
    def __init__(self, argv: Sequence[str], columns: int = 120, lines: int = 40,
                 env: dict[str, str] | None = None) -> None:
        self.screen = pyte.Screen(columns, lines)
        self.stream = pyte.ByteStream(self.screen)
        self._lock = threading.Lock()
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            list(argv), stdin=slave, stdout=slave, stderr=slave, close_fds=True,
            start_new_session=True,
            env={**os.environ, "TERM": "xterm-256color", "COLUMNS": str(columns),
                 "LINES": str(lines), **(env or {})})
        os.close(slave)
        self.master = master
        self._running = True
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while self._running:
            ready, _w, _x = select.select([self.master], [], [], 0.05)
            if not ready:
                continue
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            with self._lock:
                self.stream.feed(data)

    def text(self) -> str:
        with self._lock:
            return "\n".join(self.screen.display)

    def send(self, data: bytes) -> float:
        """Write keys; returns the moment they were sent."""
        os.write(self.master, data)
        return time.perf_counter()

    def wait_for(self, seen: Callable[[str], bool], timeout: float = 20.0) -> float:
        """Poll the rendered screen until ``seen(text)``; returns that moment."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if seen(self.text()):
                return time.perf_counter()
            time.sleep(0.0005)
        raise TimeoutError(f"not on screen after {timeout} s:\n{self.text()}")

    def close(self) -> None:
        self._running = False
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        self._reader.join(timeout=2)
        os.close(self.master)
