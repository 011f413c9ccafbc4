"""An HTTP server on 127.0.0.1 that answers the part of Stripe's API Fixdesk uses, as Stripe documents it,
and signs webhook events as Stripe does.

- ``POST /v1/checkout/sessions`` (https://docs.stripe.com/api/checkout/sessions/create): form-encoded
  with Stripe's bracket notation (``line_items[0][price_data][unit_amount]``), ``Authorization: Bearer
  <secret key>``. Answers ``200`` and a Checkout Session object (``id`` ``cs_test_…``, ``url``,
  ``amount_total``, ``currency``, ``metadata``, ``payment_status`` ``unpaid``, ``status`` ``open``). A wrong key
  is ``401`` with Stripe's error body; a missing ``mode``, ``success_url`` or line item is ``400``
  ``parameter_missing``. The ``Idempotency-Key`` header is honoured: the same key answers the same session.
- ``GET /v1/checkout/sessions/{id}`` retrieves one.

:func:`stripe_signature` writes the ``Stripe-Signature`` header of a payload by Stripe's documented
scheme (https://docs.stripe.com/webhooks#verify-manually): ``t=<unix time>,v1=<hex HMAC-SHA256 of
"<t>.<payload>" under the endpoint secret>``. :func:`stripe_event` builds an event envelope.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
from typing import Any
from urllib.parse import parse_qsl

from tests.support.fake_providers import FakeHttpProvider, RecordedRequest, Response

TEST_SECRET_KEY = "sk_test_fixdesk_0123456789"
TEST_WEBHOOK_SECRET = "whsec_fixdesk_test_0123456789abcdef"
SESSION_PATH = re.compile(r"^/v1/checkout/sessions/(?P<id>cs_test_[A-Za-z0-9]+)$")


def stripe_error(
    status: int, kind: str, message: str, code: str | None = None, param: str | None = None
) -> Response:
    error: dict[str, Any] = {"type": kind, "message": message}
    if code:
        error["code"] = code
    if param:
        error["param"] = param
    return Response.json(status, {"error": error}, **{"Request-Id": f"req_{secrets.token_hex(7)}"})


def nested_form(body: bytes) -> dict[str, Any]:
    """Stripe's bracket notation (``a[b][0][c]=1``) back into nested dicts and lists."""
    root: dict[str, Any] = {}
    for key, value in parse_qsl(body.decode(), keep_blank_values=True):
        parts = re.findall(r"[^\[\]]+", key)
        node: Any = root
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            following = None if last else parts[index + 1]
            container: Any = [] if following is not None and following.isdigit() else {}
            if isinstance(node, list):
                position = int(part)
                while len(node) <= position:
                    node.append(None)
                if last:
                    node[position] = value
                else:
                    node[position] = node[position] if node[position] is not None else container
                    node = node[position]
            else:
                if last:
                    node[part] = value
                else:
                    node = node.setdefault(part, container)
    return root


class FakeStripe(FakeHttpProvider):
    """Stripe's Checkout Sessions API on 127.0.0.1; ``sessions`` holds every session it opened."""

    def __init__(self, secret_key: str = TEST_SECRET_KEY) -> None:
        super().__init__()
        self.secret_key = secret_key
        self.sessions: dict[str, dict[str, Any]] = {}
        self._by_idempotency_key: dict[str, str] = {}

    def settings(self) -> dict[str, Any]:
        return {
            "stripe_secret_key": self.secret_key,
            "stripe_webhook_secret": TEST_WEBHOOK_SECRET,
            "stripe_api_base": self.base_url,
        }

    def failure_response(self, status: int) -> Response:
        return stripe_error(status, "api_error", "An unknown error occurred")

    def respond(self, request: RecordedRequest) -> Response:
        if request.headers.get("authorization") != f"Bearer {self.secret_key}":
            return stripe_error(401, "invalid_request_error", "Invalid API Key provided")
        if request.method == "POST" and request.path == "/v1/checkout/sessions":
            return self._create(request)
        found = SESSION_PATH.match(request.path)
        if request.method == "GET" and found and found.group("id") in self.sessions:
            return Response.json(200, self.sessions[found.group("id")])
        return stripe_error(404, "invalid_request_error", f"Unrecognized request URL ({request.path})")

    def _create(self, request: RecordedRequest) -> Response:
        key = request.headers.get("idempotency-key")
        if key and key in self._by_idempotency_key:
            return Response.json(200, self.sessions[self._by_idempotency_key[key]])
        params = nested_form(request.body)
        for required in ("mode", "success_url"):
            if not params.get(required):
                return stripe_error(
                    400,
                    "invalid_request_error",
                    f"Missing required param: {required}.",
                    "parameter_missing",
                    required,
                )
        items = params.get("line_items") or []
        if not items:
            return stripe_error(
                400,
                "invalid_request_error",
                "Missing required param: line_items.",
                "parameter_missing",
                "line_items",
            )
        total = sum(int(item["price_data"]["unit_amount"]) * int(item.get("quantity", 1)) for item in items)
        session_id = f"cs_test_{secrets.token_hex(16)}"
        session = {
            "id": session_id,
            "object": "checkout.session",
            "mode": params["mode"],
            "url": f"https://checkout.stripe.com/c/pay/{session_id}",
            "amount_total": total,
            "currency": items[0]["price_data"]["currency"],
            "client_reference_id": params.get("client_reference_id"),
            "customer_email": params.get("customer_email"),
            "metadata": params.get("metadata", {}),
            "payment_intent": None,
            "payment_status": "unpaid",
            "status": "open",
            "success_url": params["success_url"],
            "cancel_url": params.get("cancel_url"),
            "livemode": False,
            "created": int(time.time()),
        }
        self.sessions[session_id] = session
        if key:
            self._by_idempotency_key[key] = session_id
        return Response.json(200, session)


def stripe_signature(payload: bytes, secret: str = TEST_WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header Stripe would send with ``payload`` (its documented scheme)."""
    moment = int(time.time()) if timestamp is None else timestamp
    signed = f"{moment}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={moment},v1={digest}"


def stripe_event(
    kind: str, data_object: dict[str, Any], *, event_id: str | None = None, created: int | None = None
) -> bytes:
    """A webhook event as Stripe posts it (``id`` ``evt_…``, ``type``, ``data.object``), as bytes."""
    event = {
        "id": event_id or f"evt_{secrets.token_hex(12)}",
        "object": "event",
        "api_version": "2025-09-30.clover",
        "created": created if created is not None else int(time.time()),
        "type": kind,
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "data": {"object": data_object},
    }
    return json.dumps(event).encode()
