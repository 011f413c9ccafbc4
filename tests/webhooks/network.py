"""A network the webhook tests control: a DNS resolver with scripted answers, and a stand-in for the
internet that routes "public" addresses to servers on 127.0.0.1.

Both plug into the real delivery code through :class:`fixdesk.webhooks.targets.DeliveryNetwork` (the
resolver function and the httpcore network backend); nothing of Fixdesk's is replaced.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import httpcore


class ScriptedResolver:
    """Answers each host's lookups from a script: ``{"host": [answer 1, answer 2, …]}``, each answer a
    list of addresses; the last answer repeats. Records every lookup in ``calls``."""

    def __init__(self, script: dict[str, Sequence[Sequence[str]]]) -> None:
        self.script = {host: [list(answer) for answer in answers] for host, answers in script.items()}
        self.calls: list[tuple[str, int]] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append((host, port))
        answers = self.script.get(host)
        if not answers:
            raise OSError(f"[Errno -2] Name or service not known: {host}")
        lookups = sum(1 for called, _ in self.calls if called == host)
        return answers[min(lookups, len(answers)) - 1]


class LoopbackInternet(httpcore.AsyncNetworkBackend):
    """Connects ``(address, port)`` to the 127.0.0.1 port ``routes`` gives it; 127.0.0.1 itself is
    reached directly; any other address is unreachable. Records every connection asked for."""

    def __init__(self, routes: dict[tuple[str, int], int] | None = None) -> None:
        self.routes = dict(routes or {})
        self.connections: list[tuple[str, int]] = []
        self._sockets = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.connections.append((host, port))
        if (host, port) in self.routes:
            return await self._sockets.connect_tcp("127.0.0.1", self.routes[(host, port)], timeout=timeout)
        if host == "127.0.0.1":
            return await self._sockets.connect_tcp(host, port, timeout=timeout)
        raise httpcore.ConnectError(f"{host}:{port} is unreachable from the tests")

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("no Unix sockets here")

    async def sleep(self, seconds: float) -> None:
        await self._sockets.sleep(seconds)
