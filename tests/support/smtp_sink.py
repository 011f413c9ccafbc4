"""An SMTP server for tests: aiosmtpd on 127.0.0.1 (a free port), in its own thread, keeping every message.

``SmtpSink(username=..., password=...)`` requires AUTH with exactly that login (over plain connections
too, so ``smtp_security="none"`` can be tested; ``failed_logins`` lists refused attempts, one per mechanism
the client tries); ``security="starttls"`` or ``"tls"`` with a
:class:`TestCertificate` serves STARTTLS (and refuses mail without it) or TLS from the first byte.
``fail_next(count, reply)`` answers the next ``count`` messages with an SMTP error instead of accepting.

Fixtures: ``smtp_sink`` (no auth, plain; or the options of an indirect parametrization),
``smtp_sink_factory`` (``make(**options)``, several sinks, all stopped afterwards) and ``tls_certificate``
(a self-signed certificate for 127.0.0.1, once per session; needs the ``openssl`` command).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import shutil
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal, Self

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

HOST = "127.0.0.1"
IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


@dataclass(frozen=True)
class ReceivedEmail:
    """One message as the sink received it: the SMTP envelope and the parsed RFC 5322 message."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    raw: bytes
    authenticated_as: str | None
    encrypted: bool

    @property
    def message_id(self) -> str | None:
        return self.message["Message-ID"]


@dataclass(frozen=True)
class TestCertificate:
    """A self-signed certificate for 127.0.0.1 and ``localhost``; it is its own CA."""

    __test__ = False  # not a test class, despite the name

    certificate: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.certificate, self.key)
        return context

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts only this certificate, with hostname checks on."""
        return ssl.create_default_context(cafile=str(self.certificate))


def make_test_certificate(directory: Path) -> TestCertificate:
    """Create a P-256 self-signed certificate valid for 127.0.0.1 in ``directory`` with ``openssl``."""
    directory.mkdir(parents=True, exist_ok=True)
    certificate, key = directory / "certificate.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", str(key), "-out", str(certificate), "-days", "2",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return TestCertificate(certificate, key)


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        return self.sink._receive(server, session, envelope)


class _PlainAuthSMTP(SMTP):
    """aiosmtpd's server, allowed to take AUTH over a plain connection (to test ``smtp_security="none"``
    with a login) without the warning ``auth_require_tls=False`` emits for every connection."""

    def __init__(self, handler: Any, **options: Any) -> None:
        super().__init__(handler, **{**options, "auth_require_tls": True})
        self._auth_require_tls = False


class _FreePortController(Controller):
    """aiosmtpd's threaded controller bound to port 0: the OS picks a free port, read back after binding,
    so parallel test workers never race for one."""

    def factory(self) -> SMTP:
        return _PlainAuthSMTP(self.handler, **self.SMTP_kwargs)

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class SmtpSink:
    """A running SMTP server that stores every message it accepts (see the module docstring)."""

    def __init__(
        self,
        *,
        username: str | None = None,
        password: str | None = None,
        security: Literal["none", "starttls", "tls"] = "none",
        certificate: TestCertificate | None = None,
    ) -> None:
        if security != "none" and certificate is None:
            raise ValueError(f"security={security!r} needs a certificate (the tls_certificate fixture)")
        self.host = HOST
        self.username = username
        self.password = password
        self.security = security
        self.certificate = certificate
        self.failed_logins: list[str] = []
        self._messages: list[ReceivedEmail] = []
        self._failures: list[str] = []
        self._lock = threading.Lock()
        self._controller: _FreePortController | None = None

    @property
    def port(self) -> int:
        assert self._controller is not None, "the sink is not running"
        return int(self._controller.port)

    @property
    def messages(self) -> list[ReceivedEmail]:
        """The messages received so far, in arrival order (a snapshot)."""
        with self._lock:
            return list(self._messages)

    def message_ids(self) -> list[str | None]:
        return [received.message_id for received in self.messages]

    def settings(self) -> dict[str, Any]:
        """``Settings`` overrides that make Fixdesk's SMTP provider deliver here."""
        values: dict[str, Any] = {
            "email_provider": "smtp",
            "smtp_host": self.host,
            "smtp_port": self.port,
            "smtp_security": self.security,
        }
        if self.username is not None:
            values.update(smtp_username=self.username, smtp_password=self.password)
        return values

    def fail_next(self, count: int, reply: str = "451 4.3.0 Try again later") -> None:
        """Answer the next ``count`` messages' DATA with ``reply`` instead of accepting them."""
        with self._lock:
            self._failures.extend([reply] * count)

    def start(self) -> Self:
        options: dict[str, Any] = {"server_hostname": "fixdesk-test-sink"}  # skips a slow getfqdn()
        if self.username is not None:
            options.update(authenticator=self._authenticate, auth_required=True)
        if self.security == "tls":
            assert self.certificate is not None
            options["ssl_context"] = self.certificate.server_context()
        elif self.security == "starttls":
            assert self.certificate is not None
            options.update(tls_context=self.certificate.server_context(), require_starttls=True)
        self._controller = _FreePortController(_Handler(self), hostname=HOST, port=0, **options)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedEmail]:
        """Wait (without blocking the event loop) until at least ``count`` messages arrived; return them.
        Fails the test with what did arrive when ``timeout`` seconds pass first."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        return self._check_count(count, timeout)

    def wait_for_blocking(self, count: int, timeout: float = 10.0) -> list[ReceivedEmail]:
        """:meth:`wait_for` for synchronous tests (the sink runs in its own thread)."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self._check_count(count, timeout)

    def _check_count(self, count: int, timeout: float) -> list[ReceivedEmail]:
        messages = self.messages
        if len(messages) < count:
            subjects = [received.message["Subject"] for received in messages]
            pytest.fail(f"expected {count} emails within {timeout}s, got {len(messages)}: {subjects}")
        return messages

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            login = auth_data.login.decode(errors="replace")
            if login == self.username and auth_data.password.decode(errors="replace") == self.password:
                return AuthResult(success=True, auth_data=auth_data)
            with self._lock:
                self.failed_logins.append(login)
        return AuthResult(success=False, handled=False)

    def _receive(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        with self._lock:
            if self._failures:
                return self._failures.pop(0)
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode()
        login = session.auth_data.login if isinstance(session.auth_data, LoginPassword) else None
        transport = server.transport
        received = ReceivedEmail(
            mail_from=envelope.mail_from or "",
            rcpt_tos=list(envelope.rcpt_tos),
            # SMTP lines end in CRLF; parsed as a mail client stores it, with plain newlines.
            message=email.message_from_bytes(  # type: ignore[arg-type]
                raw.replace(b"\r\n", b"\n"), policy=email.policy.default
            ),
            raw=raw,
            authenticated_as=login.decode() if login is not None else None,
            encrypted=transport is not None and transport.get_extra_info("ssl_object") is not None,
        )
        with self._lock:
            self._messages.append(received)
        return "250 OK"


@pytest.fixture(scope="session")
def tls_certificate(tmp_path_factory: pytest.TempPathFactory) -> TestCertificate:
    """A self-signed certificate for 127.0.0.1. Without ``openssl`` the test is skipped (fails with CI)."""
    if shutil.which("openssl") is None:
        reason = "the openssl command is needed to make a test certificate"
        if IN_CI:
            pytest.fail(f"{reason}; CI=true requires it", pytrace=False)
        pytest.skip(reason)
    return make_test_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def smtp_sink(request: pytest.FixtureRequest) -> Iterator[SmtpSink]:
    """A running :class:`SmtpSink`: plain, no AUTH; or ``SmtpSink(**request.param)`` when parametrized
    indirectly, e.g. ``@pytest.mark.parametrize("smtp_sink", [{"username": "u", "password": "p"}],
    indirect=True)``."""
    options = getattr(request, "param", None) or {}
    with SmtpSink(**options) as sink:
        yield sink


@pytest.fixture
def smtp_sink_factory() -> Iterator[Callable[..., SmtpSink]]:
    """``make(**options)`` starts a :class:`SmtpSink`; every sink made is stopped after the test."""
    sinks: list[SmtpSink] = []

    def make(**options: Any) -> SmtpSink:
        sink = SmtpSink(**options).start()
        sinks.append(sink)
        return sink

    yield make
    for sink in sinks:
        sink.stop()
