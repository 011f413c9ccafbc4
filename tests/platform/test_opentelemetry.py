"""FastAPI's own OpenTelemetry is off unless ``FIXDESK_OPENTELEMETRY`` asks for it: by default no request
looks for the process's tracer, meter and logger providers (a sixth of a plain ``/health``'s CPU), and with
the setting on, the requests' spans go to the provider the process configured.

OpenTelemetry's global tracer provider can be set once per process, so the check runs in a child process:
it sets a provider that records the names of the spans started, then sends the same requests to an app
with the setting off and to one with it on.
"""

from __future__ import annotations

from tests.support.child import run_script

SCRIPT = r"""
import asyncio, contextlib, json, sys, tempfile

import httpx
from opentelemetry import trace

from fixdesk.app import create_app
from fixdesk.config import Settings

started = []


class RecordingTracer(trace.Tracer):
    def start_span(self, name, *args, **kwargs):
        started.append(name)
        return trace.INVALID_SPAN

    @contextlib.contextmanager
    def start_as_current_span(self, name, *args, **kwargs):
        started.append(name)
        yield trace.INVALID_SPAN


class RecordingTracerProvider(trace.TracerProvider):
    def get_tracer(self, *args, **kwargs):
        return RecordingTracer()


trace.set_tracer_provider(RecordingTracerProvider())


async def spans(opentelemetry):
    started.clear()
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings(
            env="test",
            data_dir=data_dir,
            database_url="sqlite+aiosqlite:///:memory:",
            secret_key="test-secret-key-that-is-long-enough-for-hs256",
            opentelemetry=opentelemetry,
        )
        transport = httpx.ASGITransport(app=create_app(settings))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            for path in ("/health", "/health?probe=1", "/openapi.json"):
                assert (await client.get(path)).status_code == 200, path
    return list(started)


print(json.dumps({"off": asyncio.run(spans(False)), "on": asyncio.run(spans(True))}))
"""


def test_fastapi_telemetry_runs_only_when_the_setting_asks_for_it() -> None:
    spans = run_script(SCRIPT)

    assert spans["off"] == []
    # A server span per request, and the endpoint's own spans inside the routed one (/health?probe=1).
    assert spans["on"].count("GET") == 3
    assert "fastapi.endpoint" in spans["on"]
