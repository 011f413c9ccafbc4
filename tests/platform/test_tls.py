"""The process's shared TLS context for outbound HTTPS (``fixdesk.platform.tls``)."""

from __future__ import annotations

import ssl

from fixdesk.platform.tls import default_ssl_context


def test_the_shared_context_verifies_certificates_and_host_names():
    context = default_ssl_context()

    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname is True
    assert context.cert_store_stats()["x509_ca"] > 0  # a CA bundle is loaded


def test_the_context_is_built_once_per_process():
    assert default_ssl_context() is default_ssl_context()
