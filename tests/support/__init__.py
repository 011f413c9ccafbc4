"""Reusable test doubles for the outside world, all listening on 127.0.0.1 only.

- :mod:`tests.support.smtp_sink`: a real SMTP server (aiosmtpd) that keeps what it receives; fixtures
  ``smtp_sink``, ``smtp_sink_factory`` and ``tls_certificate``.
- :mod:`tests.support.fake_providers`: HTTP servers answering as Twilio's Messages API and SendGrid's v3
  mail/send do, recording every request; fixtures ``fake_twilio`` and ``fake_sendgrid``.

To use a fixture in a test package, import it into that package's ``conftest.py`` (or the test module)::

    from tests.support.fake_providers import fake_sendgrid, fake_twilio  # noqa: F401
    from tests.support.smtp_sink import smtp_sink  # noqa: F401

Each double also has ``settings()``, the ``Settings`` overrides that point Fixdesk at it, e.g.
``make_settings(database_url, tmp_path, **smtp_sink.settings())``.
"""
