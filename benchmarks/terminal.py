"""A program in a real pseudo-terminal, its output rendered by a terminal emulator (pyte).

Used by the till benchmarks and by tests of the real process: the clock stops when text is on
the *rendered* screen, as a person would see it, not when the program thinks it has drawn it.

One thread does everything: waiting reads the pty (``select``), feeds pyte and checks the screen
in one loop, so the measuring never competes with itself for the interpreter.
"""

from __future__ import annotations

import fcntl
import os
import select
import signal
import struct
import subprocess
import termios
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pyte


def compile_sources() -> None:
    """Compile fairpos's modules, as installing a package does: a Python told not to write
    them (PYTHONDONTWRITEBYTECODE) would otherwise compile the till at every start, while the
    baseline's libraries come compiled."""
    import compileall
    from pathlib import Path

    compileall.compile_dir(Path(__file__).resolve().parent.parent / "fairpos", quiet=1)


class Terminal:
    def __init__(self, argv: Sequence[str], columns: int = 120, lines: int = 40,
                 env: dict[str, str] | None = None) -> None:
        self.screen = pyte.Screen(columns, lines)
        self.stream = pyte.ByteStream(self.screen)
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
        self.closed = False  # the program closed its end (it exited)

    def _pump(self, timeout: float) -> bool:
        """Read what the program wrote within ``timeout`` and render it; True if anything."""
        if self.closed:
            time.sleep(timeout)
            return False
        ready, _w, _x = select.select([self.master], [], [], timeout)
        if not ready:
            return False
        try:
            data = os.read(self.master, 65536)
        except OSError:
            data = b""
        if not data:
            self.closed = True
            return False
        self.stream.feed(data)
        return True

    def text(self) -> str:
        while self._pump(0):
            pass
        return "\n".join(self.screen.display)

    def send(self, data: bytes) -> float:
        """Write keys; returns the moment they were sent."""
        os.write(self.master, data)
        return time.perf_counter()

    def wait_for(self, seen: Callable[[str], bool], timeout: float = 60.0) -> float:
        """Read and render until ``seen(screen text)``; returns the moment it was so. The
        screen is checked after everything written so far is rendered, and every 50 ms while
        nothing comes (``seen`` may also look at something else than the screen)."""
        deadline = time.perf_counter() + timeout
        while True:
            if seen("\n".join(self.screen.display)):
                return time.perf_counter()
            left = deadline - time.perf_counter()
            if left <= 0:
                raise TimeoutError(f"not on screen after {timeout} s:\n{self.text()}")
            if self._pump(min(left, 0.05)):
                while self._pump(0):
                    pass

    def peak_rss_mb(self) -> float:
        """The program's peak resident memory so far (VmHWM), in MB."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        kib = next(int(line.split()[1]) for line in status.splitlines()
                   if line.startswith("VmHWM:"))
        return kib / 1024

    def close(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        os.close(self.master)
