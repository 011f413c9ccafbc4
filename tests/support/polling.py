"""Waiting in tests: poll a condition with a generous bound instead of sleeping for a guessed time.

A test that sleeps "long enough" fails on a loaded machine and wastes time on an idle one. Poll what the
test is waiting for (a row, a file, a log line, a flag) with :func:`wait_until` (in a coroutine) or
:func:`wait_until_blocking` (in plain code). The bound only decides how long a broken behaviour takes to
fail; it is generous on purpose, since a passing test returns as soon as the condition holds.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest

T = TypeVar("T")

DEFAULT_TIMEOUT_SECONDS = 30.0
"""How long a condition may take before the test fails: far beyond what a loaded CI machine needs."""

DEFAULT_INTERVAL_SECONDS = 0.02


async def wait_until(
    condition: Callable[[], T | Awaitable[T]],
    *,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    interval: float = DEFAULT_INTERVAL_SECONDS,
    message: str = "the condition",
) -> T:
    """Call ``condition`` (a function or a coroutine function) every ``interval`` seconds until it returns
    a truthy value, and return that value. Fails the test when ``timeout`` seconds pass first, saying it
    was waiting for ``message``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = condition()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value  # type: ignore[return-value]
        if loop.time() >= deadline:
            pytest.fail(f"timed out after {timeout:g} s waiting for {message}")
        await asyncio.sleep(interval)


def wait_until_blocking(
    condition: Callable[[], T],
    *,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    interval: float = DEFAULT_INTERVAL_SECONDS,
    message: str = "the condition",
) -> T:
    """:func:`wait_until` for code outside an event loop (``condition`` is a plain function)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            pytest.fail(f"timed out after {timeout:g} s waiting for {message}")
        time.sleep(interval)
