"""Keys taken in the order they were typed, each where the keys before it left the focus.

Textual hands a key to the widget that has the focus when the key is read, and a key that
moves the focus (Tab, or Enter in a form) does so only when the widget has passed it on to its
screen. Keys that arrive in one read — a keyboard-wedge scanner, a fast volunteer on a busy
machine, a terminal that was catching up — were all handed to the first field: a name, Tab and
the float became the name "Luisa20". Here the app hands on a key only once the keys before it
have gone all the way through the widget that had them and every container above it, so a
focus they moved is where the next key goes.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque

from textual import events
from textual.app import App
from textual.dom import DOMNode
from textual.message_pump import MessagePump

SETTLE_GUARD = 5.0
"""Seconds a key waits for the one before it at most: a handler that waits on the app itself
must not freeze the till (the key then goes on as Textual alone would send it). Long enough
for a machine so busy that a key takes seconds to go through (2 s was seen to be too short on
a loaded two-core machine: the float's digits went into the field before)."""


async def _through(node: MessagePump) -> None:
    """Until ``node`` has handled every message posted to it before now."""
    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def settle() -> None:
        if not done.done():
            done.set_result(None)

    if not node.call_later(settle):  # (a node that is closing takes nothing more)
        return
    await done


class KeysInOrder(App[None]):
    """An app whose keys are taken in order (see the module): a key read while the one before
    it is still on its way waits in line, and is handed on when that one has gone through the
    widget it went to, every container above it and the app's own bindings."""

    def __init__(self) -> None:
        super().__init__()
        self._keys_waiting: deque[events.Key] = deque()
        self._key_on_its_way: asyncio.Task[None] | None = None

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and not event.is_forwarded:
            self._keys_waiting.append(event)
            if self._key_on_its_way is None:
                await self._hand_on()
            return
        await super().on_event(event)

    async def _hand_on(self) -> None:
        """The next waiting key, as Textual takes it; its way followed until it is through."""
        if not self._keys_waiting:
            return
        key = self._keys_waiting.popleft()
        target = self.focused or (self.screen if self._screen_stack else None)
        await super().on_event(key)
        way = self._way(target) if target is not None else ()
        self._key_on_its_way = asyncio.create_task(self._follow(way))

    async def _follow(self, way: tuple[MessagePump, ...]) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._through_all(way), SETTLE_GUARD)
        # (then the app: a key that came back up for its bindings is handled before this)
        if not self.call_later(self._through_app):
            self._key_on_its_way = None

    async def _through_app(self) -> None:
        self._key_on_its_way = None
        await self._hand_on()

    @staticmethod
    def _way(target: DOMNode) -> tuple[MessagePump, ...]:
        """The widget a key goes to and each container it bubbles through, to its screen."""
        way: list[MessagePump] = []
        node: DOMNode | None = target
        while node is not None and not isinstance(node, App):
            way.append(node)
            node = node.parent
        return tuple(way)

    @staticmethod
    async def _through_all(way: tuple[MessagePump, ...]) -> None:
        for node in way:  # in turn: a key passed on is queued before the next settle
            await _through(node)
