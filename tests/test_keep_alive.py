"""``fixdesk serve`` keeps an idle keep-alive connection for ``FIXDESK_KEEP_ALIVE_SECONDS``, not uvicorn's 5 s.

A client pool or proxy in front must be the first to drop an idle connection: with the server closing
first, a request sent at that moment meets a closing connection (a reset, a 502 from a proxy). The suite
met it itself: its HTTP client, like httpx's default, keeps idle connections for 5 s, uvicorn's own default
too, and a request after a 5-second wait failed with ``ReadError``.
"""

from __future__ import annotations

import socket
import time

from tests.support.server import clean_env, start_server

KEEP_ALIVE_SECONDS = 8
UVICORN_DEFAULT_SECONDS = 5


def _get_health(connection: socket.socket) -> bytes:
    """Send ``GET /health`` on ``connection`` (HTTP/1.1, kept alive) and return the whole response."""
    connection.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = connection.recv(65536)
        if not chunk:
            return received  # the server closed the connection
        received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        chunk = connection.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def test_an_idle_connection_is_kept_for_the_configured_seconds_then_closed(tmp_path):
    env = clean_env(tmp_path / "data", FIXDESK_KEEP_ALIVE_SECONDS=str(KEEP_ALIVE_SECONDS))
    server = start_server(env, tmp_path / "server.log", "--no-worker")
    try:
        server.wait_healthy()
        with socket.create_connection(("127.0.0.1", server.port), timeout=30) as connection:
            first = _get_health(connection)
            assert first.startswith(b"HTTP/1.1 200"), first
            # Idle past uvicorn's default: a server still on it has closed the connection by now.
            time.sleep(UVICORN_DEFAULT_SECONDS + 1.5)
            second = _get_health(connection)
            assert second.startswith(b"HTTP/1.1 200"), f"the idle connection was closed: {second!r}"
            idle_since = time.monotonic()
            # Then the server closes it once idle for the configured time (recv answers b"" at the close;
            # the 30 s timeout of the socket is the generous bound).
            assert connection.recv(1) == b""
            assert time.monotonic() - idle_since > UVICORN_DEFAULT_SECONDS
    finally:
        server.stop()
