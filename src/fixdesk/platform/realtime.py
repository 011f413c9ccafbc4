"""Live events for dashboards and the portal: a broker that fans published events out to the WebSocket
connections of this process (in-process by default; over Redis pub/sub when ``FIXDESK_REDIS_URL`` is
set, so every API process receives them)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Protocol

from fastapi import APIRouter

from fixdesk.config import Settings

router = APIRouter(tags=["live events"])

Listener = Callable[[dict[str, Any]], None]


class Broker(Protocol):
    """Publishes event envelopes and delivers them to this process's listeners."""

    async def publish(self, envelope: dict[str, Any]) -> None: ...

    def add_listener(self, listener: Listener) -> None: ...

    def remove_listener(self, listener: Listener) -> None: ...

    async def aclose(self) -> None: ...


class InProcessBroker:
    """Fan-out inside one process (embedded mode: the worker runs inside the server)."""

    def __init__(self) -> None:
        self._listeners: set[Listener] = set()

    async def publish(self, envelope: dict[str, Any]) -> None:
        for listener in list(self._listeners):
            listener(envelope)
        await asyncio.sleep(0)

    def add_listener(self, listener: Listener) -> None:
        self._listeners.add(listener)

    def remove_listener(self, listener: Listener) -> None:
        self._listeners.discard(listener)

    async def aclose(self) -> None:
        self._listeners.clear()


def build_broker(settings: Settings) -> Broker:
    """The broker for ``settings``: in-process (Redis support is added with the WebSocket endpoint)."""
    return InProcessBroker()
