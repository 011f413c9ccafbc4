"""HTTP servers on 127.0.0.1 that answer as Twilio's Messages API and SendGrid's v3 mail/send do.

Each fake runs ``http.server`` in a thread on a free port and records every request it gets (method, path,
headers, raw body, parsed form or JSON) in ``.requests``, failed ones included, so tests assert on exactly
what Fixdesk sent. ``fail_next(count, status)`` makes the next ``count`` requests fail with that status
(default 503) before any other check, as an overloaded provider would. ``settings()`` gives the
``Settings`` overrides that point Fixdesk at the fake.

- :class:`FakeTwilio`: ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` with HTTP basic auth
  (AccountSid, AuthToken) → ``201`` and the Message resource (``sid`` ``SM`` + 32 hex, ``status``
  ``queued``); ``401`` error 20003 on bad credentials; ``400`` errors 21604/21603/21602 for a missing To,
  From or Body and 21211 for a To that is not an E.164 number (``whatsapp:`` prefix allowed).
- :class:`FakeSendGrid`: ``POST /v3/mail/send`` with ``Authorization: Bearer <key>`` → ``202``, empty
  body, ``X-Message-Id``; ``401`` on a wrong key; ``400`` with ``{"errors": [{message, field, help}]}``
  for missing personalizations, from, subject or content, text/plain not first, or a reserved header.

Also :func:`twilio_signature`, Twilio's documented ``X-Twilio-Signature`` algorithm written out, for tests
that sign a status callback as Twilio would.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import http
import json
import re
import secrets
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

import pytest

HOST = "127.0.0.1"


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the fake received it. ``headers`` has lower-case names."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    @property
    def form(self) -> dict[str, str]:
        """The ``application/x-www-form-urlencoded`` body as a dict (empty for other bodies)."""
        if not self.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            return {}
        return dict(parse_qsl(self.body.decode(), keep_blank_values=True))

    @property
    def json(self) -> Any:
        """The JSON body, or ``None`` when the body is not valid JSON."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    @property
    def basic_auth(self) -> tuple[str, str] | None:
        """The (username, password) of an ``Authorization: Basic`` header."""
        scheme, _, value = self.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            username, _, password = base64.b64decode(value, validate=True).decode().partition(":")
        except ValueError:
            return None
        return username, password


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, payload: Any, **headers: str) -> Response:
        return cls(status, json.dumps(payload).encode(), {"Content-Type": "application/json", **headers})


class FakeHttpProvider:
    """The shared machinery: the threaded server, request recording and the failure knob."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._failures: list[int] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None, "the fake is not running"
        return f"http://{HOST}:{self._server.server_address[1]}"

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, in arrival order (a snapshot)."""
        with self._lock:
            return list(self._requests)

    def fail_next(self, count: int, status: int = 503) -> None:
        """Answer the next ``count`` requests with ``status`` (a 5xx or 429) and the provider's error body."""
        with self._lock:
            self._failures.extend([status] * count)

    def start(self) -> Self:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            # The default HTTP/1.0 closes each connection after one response, so no idle keep-alive
            # thread outlives the fake.
            def serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                parts = urlsplit(self.path)
                request = RecordedRequest(
                    method=self.command,
                    path=parts.path,
                    query=dict(parse_qsl(parts.query, keep_blank_values=True)),
                    headers={name.lower(): value for name, value in self.headers.items()},
                    body=self.rfile.read(length) if length else b"",
                )
                response = fake._handle(request)
                self.send_response(response.status)
                for name, value in response.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(response.body)))
                self.end_headers()
                self.wfile.write(response.body)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = serve

            def log_message(self, format: str, *args: Any) -> None:
                pass  # the recorded requests are the log

        self._server = ThreadingHTTPServer((HOST, 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    async def wait_for_requests(self, count: int, timeout: float = 10.0) -> list[RecordedRequest]:
        """Wait (without blocking the event loop) for at least ``count`` requests; fail with what came."""
        deadline = time.monotonic() + timeout
        while len(self.requests) < count and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        requests = self.requests
        if len(requests) < count:
            pytest.fail(f"expected {count} requests within {timeout}s, got {len(requests)}")
        return requests

    def _handle(self, request: RecordedRequest) -> Response:
        with self._lock:
            self._requests.append(request)
            failure = self._failures.pop(0) if self._failures else None
        if failure is not None:
            return self.failure_response(failure)
        return self.respond(request)

    def respond(self, request: RecordedRequest) -> Response:
        raise NotImplementedError

    def failure_response(self, status: int) -> Response:
        raise NotImplementedError


# --- Twilio -------------------------------------------------------------------------------------------

TWILIO_MESSAGES_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+)/Messages\.json$")
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
TWILIO_TEST_FROM_NUMBER = "+15005550006"  # Twilio's magic "valid From" test number
TWILIO_WHATSAPP_SANDBOX = "+14155238886"


def twilio_error(status: int, code: int, message: str) -> Response:
    """Twilio's JSON error body: ``{code, message, more_info, status}``."""
    return Response.json(
        status,
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
    )


class FakeTwilio(FakeHttpProvider):
    """Twilio's Messages API for one account (see the module docstring). ``messages`` holds the Message
    resources created, in order."""

    def __init__(self, account_sid: str | None = None, auth_token: str | None = None) -> None:
        super().__init__()
        self.account_sid = account_sid or "AC" + secrets.token_hex(16)
        self.auth_token = auth_token or secrets.token_hex(16)
        self.from_number = TWILIO_TEST_FROM_NUMBER
        self.whatsapp_from = TWILIO_WHATSAPP_SANDBOX
        self.messages: list[dict[str, Any]] = []

    def settings(self) -> dict[str, Any]:
        """``Settings`` overrides that make Fixdesk's Twilio provider send here."""
        return {
            "sms_provider": "twilio",
            "twilio_base_url": self.base_url,
            "twilio_account_sid": self.account_sid,
            "twilio_auth_token": self.auth_token,
            "twilio_from_number": self.from_number,
            "twilio_whatsapp_from": self.whatsapp_from,
        }

    def failure_response(self, status: int) -> Response:
        return twilio_error(status, 20000 + status, http.HTTPStatus(status).phrase)

    def respond(self, request: RecordedRequest) -> Response:
        if request.basic_auth != (self.account_sid, self.auth_token):
            return twilio_error(401, 20003, "Authenticate")
        match = TWILIO_MESSAGES_PATH.match(request.path)
        if match is None or match["account"] != self.account_sid or request.method != "POST":
            return twilio_error(404, 20404, f"The requested resource {request.path} was not found")
        form = request.form
        to, sender, body = form.get("To", ""), form.get("From", ""), form.get("Body", "")
        if not to:
            return twilio_error(400, 21604, "A 'To' phone number is required.")
        if not sender:
            return twilio_error(400, 21603, "A 'From' phone number is required.")
        if not body:
            return twilio_error(400, 21602, "Message body is required.")
        if not E164.match(to.removeprefix("whatsapp:")):
            return twilio_error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        sid = "SM" + secrets.token_hex(16)
        now = format_datetime(datetime.now(UTC), usegmt=True)
        resource = {
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "body": body,
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": sender,
            "messaging_service_sid": None,
            "num_media": "0",
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "queued",
            "subresource_uris": {
                "media": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}/Media.json"
            },
            "to": to,
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
        }
        with self._lock:
            self.messages.append({**resource, "status_callback": form.get("StatusCallback")})
        return Response.json(201, resource)


def twilio_signature(url: str, params: Mapping[str, str], auth_token: str) -> str:
    """``X-Twilio-Signature`` as Twilio's docs define it: the full URL, then each POST parameter's name
    and value in name order, HMAC-SHA1 with the Auth Token, base64."""
    payload = url + "".join(name + params[name] for name in sorted(params))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


# --- SendGrid -----------------------------------------------------------------------------------------

SENDGRID_RESERVED_HEADERS = {
    "x-sg-id",
    "x-sg-eid",
    "received",
    "dkim-signature",
    "content-type",
    "content-transfer-encoding",
    "to",
    "from",
    "subject",
    "reply-to",
    "cc",
    "bcc",
}
EMAIL_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def sendgrid_errors(status: int, *errors: tuple[str | None, str]) -> Response:
    """SendGrid's error body: ``{"errors": [{"message", "field", "help"}]}``."""
    return Response.json(
        status,
        {
            "errors": [
                {
                    "message": message,
                    "field": name,
                    "help": (
                        f"http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html#message.{name}"
                        if name
                        else None
                    ),
                }
                for name, message in errors
            ]
        },
    )


class FakeSendGrid(FakeHttpProvider):
    """SendGrid's v3 ``mail/send`` for one API key (see the module docstring). ``emails`` holds the
    accepted request bodies, each with the ``X-Message-Id`` it was given under ``"_message_id"``."""

    def __init__(self, api_key: str | None = None) -> None:
        super().__init__()
        self.api_key = api_key or "SG." + secrets.token_urlsafe(16) + "." + secrets.token_urlsafe(32)
        self.emails: list[dict[str, Any]] = []

    def settings(self) -> dict[str, Any]:
        """``Settings`` overrides that make Fixdesk's SendGrid provider send here."""
        return {
            "email_provider": "sendgrid",
            "sendgrid_base_url": self.base_url,
            "sendgrid_api_key": self.api_key,
        }

    def failure_response(self, status: int) -> Response:
        return sendgrid_errors(status, (None, http.HTTPStatus(status).phrase))

    def respond(self, request: RecordedRequest) -> Response:
        if request.path != "/v3/mail/send" or request.method != "POST":
            return sendgrid_errors(404, (None, "resource not found"))
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return sendgrid_errors(
                401, (None, "The provided authorization grant is invalid, expired, or revoked")
            )
        body = request.json
        if not isinstance(body, dict):
            return sendgrid_errors(400, (None, "Bad Request"))
        errors = _sendgrid_validation_errors(body)
        if errors:
            return sendgrid_errors(400, *errors)
        message_id = base64.urlsafe_b64encode(secrets.token_bytes(16)).decode().rstrip("=")
        with self._lock:
            self.emails.append({**body, "_message_id": message_id})
        return Response(202, b"", {"X-Message-Id": message_id})


def _sendgrid_validation_errors(body: dict[str, Any]) -> list[tuple[str | None, str]]:
    errors: list[tuple[str | None, str]] = []
    personalizations = body.get("personalizations")
    if not isinstance(personalizations, list) or not personalizations:
        errors.append(
            (
                "personalizations",
                "The personalizations field is required and must have at least one personalization.",
            )
        )
        personalizations = []
    for index, personalization in enumerate(personalizations):
        recipients = personalization.get("to") if isinstance(personalization, dict) else None
        if not isinstance(recipients, list) or not recipients:
            errors.append(
                (
                    f"personalizations.{index}.to",
                    "The to array is required for all personalization objects, and must have at least "
                    "one email object with a valid email address.",
                )
            )
            continue
        for position, recipient in enumerate(recipients):
            address = recipient.get("email") if isinstance(recipient, dict) else None
            if not isinstance(address, str) or not EMAIL_ADDRESS.match(address):
                errors.append(
                    (f"personalizations.{index}.to.{position}.email", "Does not contain a valid address.")
                )
    sender = body.get("from")
    if not isinstance(sender, dict) or not sender.get("email"):
        errors.append(
            (
                "from.email",
                "The from object must be provided for every email send. It is an object that requires "
                "the email parameter, but may also contain a name parameter.",
            )
        )
    every_personalization_has_subject = bool(personalizations) and all(
        isinstance(p, dict) and p.get("subject") for p in personalizations
    )
    if not body.get("subject") and not every_personalization_has_subject:
        errors.append(
            (
                "subject",
                "The subject is required. You can get around this requirement if you use a template with "
                "a subject defined or if every personalization has a subject defined.",
            )
        )
    content = body.get("content")
    if not isinstance(content, list) or not content:
        errors.append(
            (
                "content",
                "Unless a valid template_id is provided, the content parameter is required. There must be "
                "at least one defined content block. We typically suggest both text/plain and text/html "
                "blocks are included, but only one block is required.",
            )
        )
    else:
        types = [block.get("type") if isinstance(block, dict) else None for block in content]
        if "text/plain" in types and types[0] != "text/plain":
            errors.append(
                (
                    "content",
                    "If present, text/plain must be first, followed by text/html, followed by any other "
                    "content.",
                )
            )
    headers = body.get("headers") or {}
    for name in headers if isinstance(headers, dict) else []:
        if name.lower() in SENDGRID_RESERVED_HEADERS:
            errors.append(("headers", f"The header {name} is reserved and cannot be set."))
    return errors


# --- Fixtures -----------------------------------------------------------------------------------------


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    """A running :class:`FakeTwilio` with a fresh account (``.account_sid``, ``.auth_token``)."""
    with FakeTwilio() as fake:
        yield fake


@pytest.fixture
def fake_sendgrid() -> Iterator[FakeSendGrid]:
    """A running :class:`FakeSendGrid` with a fresh API key (``.api_key``)."""
    with FakeSendGrid() as fake:
        yield fake


# --- OpenAI-compatible chat completions (tool calling) -------------------------------------------------


class FakeChatCompletions(FakeHttpProvider):
    """``POST /v1/chat/completions`` as OpenAI-compatible servers answer a request with one forced tool
    call: ``choices[0].message.tool_calls[0].function.arguments`` is a JSON string.

    ``answers`` maps a user message to the arguments (a dict) to return; a request whose user message is
    not in it gets ``default_arguments``. ``raw_arguments`` (a string) replaces the JSON of every answer, to
    serve a bad one. ``hold()`` makes the next requests wait until ``release()`` (or 30 s), as a slow model
    would, so a client's timeout is tested without a sleep. ``401`` on a wrong bearer key when ``api_key``
    is set; ``400`` when the body is not a chat completion with ``tools``.
    """

    def __init__(self, api_key: str | None = None) -> None:
        super().__init__()
        self.api_key = api_key
        self.answers: dict[str, dict[str, Any]] = {}
        self.default_arguments: dict[str, Any] = {"intent": "unknown"}
        self.raw_arguments: str | None = None
        self._released = threading.Event()
        self._released.set()

    def settings(self) -> dict[str, Any]:
        """``Settings`` overrides that point Fixdesk's model client here."""
        return {
            "llm_base_url": f"{self.base_url}/v1",
            "llm_model": "fake-tool-model",
            "llm_api_key": self.api_key,
        }

    def hold(self) -> None:
        self._released.clear()

    def release(self) -> None:
        self._released.set()

    def failure_response(self, status: int) -> Response:
        return Response.json(
            status, {"error": {"message": http.HTTPStatus(status).phrase, "type": "server_error"}}
        )

    def respond(self, request: RecordedRequest) -> Response:
        self._released.wait(timeout=30)
        if request.path != "/v1/chat/completions" or request.method != "POST":
            return Response.json(404, {"error": {"message": "Not found", "type": "invalid_request_error"}})
        if self.api_key is not None and request.headers.get("authorization") != f"Bearer {self.api_key}":
            return Response.json(
                401, {"error": {"message": "Incorrect API key", "type": "invalid_request_error"}}
            )
        body = request.json
        if not isinstance(body, dict) or not body.get("messages") or not body.get("tools"):
            return Response.json(
                400,
                {"error": {"message": "messages and tools are required", "type": "invalid_request_error"}},
            )
        tool = body["tools"][0]["function"]["name"]
        user = next((m["content"] for m in reversed(body["messages"]) if m.get("role") == "user"), "")
        arguments = self.raw_arguments
        if arguments is None:
            arguments = json.dumps(self.answers.get(user, self.default_arguments))
        return Response.json(
            200,
            {
                "id": "chatcmpl-" + secrets.token_hex(8),
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model"),
                "choices": [
                    {
                        "index": 0,
                        "message": {
                            "role": "assistant",
                            "content": None,
                            "tool_calls": [
                                {
                                    "id": "call_" + secrets.token_hex(6),
                                    "type": "function",
                                    "function": {"name": tool, "arguments": arguments},
                                }
                            ],
                        },
                        "finish_reason": "tool_calls",
                    }
                ],
            },
        )
