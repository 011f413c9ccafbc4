"""The process's TLS trust for outbound HTTPS (providers, webhook endpoints, routing, the LLM).

Building an :class:`ssl.SSLContext` loads and parses the whole CA bundle: about 40 ms of CPU, which every
``httpx.AsyncClient`` built with the default ``verify=True`` pays again. One context, made on first use,
serves every client of the process (an ``SSLContext`` is safe to share between connections and threads).
It is httpx's own default (certifi's bundle, or ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` when set), so what
is trusted does not change.
"""

from __future__ import annotations

import ssl
from functools import cache

import httpx


@cache
def default_ssl_context() -> ssl.SSLContext:
    """The shared client-side TLS context (verifying certificates and host names), built once."""
    return httpx.create_ssl_context()
