"""A fault-injecting TCP proxy on 127.0.0.1, between a stall's relay and a real ledger.

Each connection gets one mode, drawn with a seeded random generator:

* ``ok``: bytes pass, with the latency (each message, each way) and bandwidth set;
* ``reset_before``: part of the request is read, then the connection is reset — the request
  never reaches the ledger;
* ``drop_response``: the request goes through, the ledger answers (it has committed), and the
  connection is reset before the stall sees a byte of the answer;
* ``truncate_response``: half the answer, then a reset;
* ``stall``: the request goes through, the answer is held longer than the stall waits.

The relay must run without keep-alive here so that every request is a connection of its own.
"""

from __future__ import annotations

import asyncio
import random
import threading
from collections import Counter

from harness.fake_printer import free_port

MODES = ("ok", "reset_before", "drop_response", "truncate_response", "stall")


class FaultProxy:
    def __init__(self, target_port: int, *, faults: dict[str, float] | None = None,
                 latency: float = 0.0, jitter: float = 0.0, bandwidth: int | None = None,
                 stall_seconds: float = 3.0, seed: int = 0, port: int | None = None,
                 shared: bool = False) -> None:
        self.target_port = target_port
        self.faults = dict(faults or {})
        self.latency, self.jitter = latency, jitter
        self.bandwidth = bandwidth  # bytes per second, each way
        # ``shared``: one link whose bandwidth all connections share (a site's uplink);
        # otherwise each connection has ``bandwidth`` of its own. When each way is free again:
        self.shared = shared
        self.free_at = {True: 0.0, False: 0.0}
        self.stall_seconds = stall_seconds
        self.rng = random.Random(seed)
        self.counts: Counter[str] = Counter()
        self.live: set[asyncio.Transport] = set()  # the client side of each open connection
        self.stalling = 0
        self.bytes_up = 0  # stall → ledger, as on the wire
        self.port = port or free_port()
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(ready,), daemon=True)
        self.thread.start()
        ready.wait(10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        self.server = self.loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", self.port))
        ready.set()
        self.loop.run_forever()

    def close(self) -> None:
        async def shutdown() -> None:
            self.server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(shutdown(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)

    def _pick(self) -> str:
        roll = self.rng.random()
        for mode, chance in self.faults.items():
            if roll < chance:
                return mode
            roll -= chance
        return "ok"

    async def _delay(self) -> None:
        if self.latency or self.jitter:
            await asyncio.sleep(max(0.0, self.rng.uniform(self.latency - self.jitter,
                                                          self.latency + self.jitter)))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                    up: bool) -> None:
        last = 0.0
        try:
            while data := await reader.read(4096):
                if self.loop.time() - last > 0.05:  # a new message after a pause: latency
                    await self._delay()
                last = self.loop.time()
                if up:
                    self.bytes_up += len(data)
                if self.bandwidth and self.shared:
                    for i in range(0, len(data), 512):
                        chunk = data[i:i + 512]
                        start = max(self.loop.time(), self.free_at[up])
                        self.free_at[up] = start + len(chunk) / self.bandwidth
                        await asyncio.sleep(self.free_at[up] - self.loop.time())
                        writer.write(chunk)
                        await writer.drain()
                elif self.bandwidth:
                    for i in range(0, len(data), 512):
                        writer.write(data[i:i + 512])
                        await writer.drain()
                        await asyncio.sleep(len(data[i:i + 512]) / self.bandwidth)
                else:
                    writer.write(data)
                    await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    def cut(self) -> None:
        """The link goes down: every open connection reset, every new one refused (reset
        before it reaches the ledger) until :meth:`mend`."""
        self.faults = {"reset_before": 1.0}

        def abort_all() -> None:
            for transport in list(self.live):
                transport.abort()

        self.loop.call_soon_threadsafe(abort_all)

    def mend(self) -> None:
        self.faults = {}

    async def _handle(self, client_r: asyncio.StreamReader,
                      client_w: asyncio.StreamWriter) -> None:
        transport = client_w.transport
        assert isinstance(transport, asyncio.Transport)
        self.live.add(transport)
        try:
            await self._handle_one(client_r, client_w)
        finally:
            self.live.discard(transport)

    async def _handle_one(self, client_r: asyncio.StreamReader,
                          client_w: asyncio.StreamWriter) -> None:
        mode = self._pick()
        self.counts[mode] += 1
        try:
            ledger_r, ledger_w = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:  # the ledger is down: the stall sees a reset
            self.counts["ledger_down"] += 1
            client_w.transport.abort()
            return
        if mode == "reset_before":
            await client_r.read(100)
            client_w.transport.abort()
            ledger_w.transport.abort()
            return
        upstream = asyncio.create_task(self._pipe(client_r, ledger_w, up=True))
        try:
            if mode == "ok":
                await self._pipe(ledger_r, client_w, up=False)
                return
            answer = await ledger_r.read(65536)  # the ledger has answered: it has committed
            if mode == "truncate_response" and answer:
                client_w.write(answer[:max(1, len(answer) // 2)])
                await client_w.drain()
            elif mode == "stall":
                self.stalling += 1  # an answer held back right now
                try:
                    await asyncio.sleep(self.stall_seconds)
                finally:
                    self.stalling -= 1
            client_w.transport.abort()
            ledger_w.transport.abort()
        except ConnectionError:
            client_w.transport.abort()
        finally:
            upstream.cancel()


class ProxyProcess:
    """A latency-only :class:`FaultProxy` in a process of its own, for benchmarks: its work
    never competes with the measuring process for the interpreter."""

    def __init__(self, target_port: int, latency: float) -> None:
        import subprocess
        import sys
        from pathlib import Path

        self.port = free_port()
        root = Path(__file__).resolve().parent.parent
        self.process = subprocess.Popen(
            [sys.executable, "-m", "harness.fault_proxy", str(target_port), str(self.port),
             str(latency)], cwd=root, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        assert self.process.stdout is not None
        self.process.stdout.readline()  # "ready"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)


if __name__ == "__main__":  # python -m harness.fault_proxy TARGET_PORT PORT LATENCY
    import sys

    proxy = FaultProxy(int(sys.argv[1]), latency=float(sys.argv[3]), port=int(sys.argv[2]))
    print("ready", flush=True)
    sys.stdin.read()  # until the parent goes
