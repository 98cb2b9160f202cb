"""A client that holds thousands of sockets to a ledger from one address: a third send their
headers a byte at a time, a third a body that never ends, a third nothing at all; each socket
the ledger cuts (or refuses) is opened again a second later. Prints "ready" once every
socket was tried, and runs until its standard input closes.

    python -m harness.hostile_sockets PORT COUNT SOURCE_ADDRESS
"""

from __future__ import annotations

import collections
import contextlib
import selectors
import socket
import sys
import threading
import time

HEADERS = b"POST /v1/sales/batch HTTP/1.1\r\nHost: ledger\r\n"
AGAIN_SECONDS = 1.0  # a socket cut (or refused) is opened again this much later
BODY = (b"POST /v1/sales/batch HTTP/1.1\r\nHost: ledger\r\nContent-Type: application/json\r\n"
        b"Content-Length: 1000000\r\n\r\n{")


def main() -> None:
    port, count, source = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    chosen = selectors.DefaultSelector()

    def open_one(kind: int) -> None:
        sock = socket.socket()
        try:
            sock.bind((source, 0))
            sock.connect(("127.0.0.1", port))
            sock.setblocking(False)
            sock.send((b"", HEADERS, BODY)[kind])
        except OSError:
            sock.close()
            return
        chosen.register(sock, selectors.EVENT_READ, kind)

    for n in range(count):
        open_one(n % 3)
    print("ready", flush=True)
    again: collections.deque[tuple[float, int]] = collections.deque()  # (when, kind)
    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    while not stop.is_set():
        for key, _events in chosen.select(timeout=0.2):
            sock = key.fileobj
            assert isinstance(sock, socket.socket)
            try:
                if sock.recv(4096):
                    continue  # (a refusal's words: the close comes next)
            except OSError:
                pass
            chosen.unregister(sock)
            sock.close()
            again.append((time.monotonic() + AGAIN_SECONDS, key.data))  # cut: open it again
        while again and again[0][0] <= time.monotonic():
            open_one(again.popleft()[1])
        for key in list(chosen.get_map().values()):
            if key.data:  # a byte more of the headers, or of the body
                with contextlib.suppress(OSError):
                    key.fileobj.send(b"x")  # type: ignore[union-attr]


if __name__ == "__main__":
    main()
