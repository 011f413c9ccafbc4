"""Notification templates: every event renders in English and Portuguese, HTML is escaped, and the
sandbox keeps templates away from Python internals."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from jinja2.exceptions import SecurityError, UndefinedError

from fixdesk.bootstrap import load_domains
from fixdesk.messaging import service
from fixdesk.platform.events import PublishedEvent
from fixdesk.repairs.jobs import template_for

# The templates are messaging's and those the domains declare in their manifests.
load_domains()

SHOP = {"shop_name": "Fix & Go", "shop_phone": "+1 512 555 0100", "shop_email": "hello@fixgo.example"}


def variables(**overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        **SHOP,
        "customer_first_name": "Ana",
        "repair_number": "R-2026-000042",
        "device": "Apple iPhone 13",
        "status": "repairing",
        "status_label": "In repair",
        "customer_note": "Screen replaced",
        "estimated_completion": "November 30, 2026",
        "amount": "$120.00",
        "balance": "$80.00",
        "tracking_url": "https://shop.example.com/track/Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3Jh",
        "quote_number": "Q1",
        "valid_until": "December 14, 2026",
        "technician_first_name": "Nia",
        "work_order_number": "WO-2026-000042",
        "eta_minutes": 12,
        "expected_arrival": "09:42",
        "service_type": "Septic pumping",
        "visit_day": "June 25, 2026",
        "window_start": "09:00",
        "window_end": "11:00",
        "invoice_number": "INV-2026-000042",
        "total": "$120.00",
        "due_date": "July 1, 2026",
        "pay_url": "https://shop.example.com/portal/invoices/0193f1c2",
        "payment_instructions": "Bank transfer to IBAN US00 1234",
    }
    values.update(overrides)
    return values


@pytest.mark.parametrize("language", ["en", "pt"])
@pytest.mark.parametrize("template", service.template_names())
def test_every_template_renders_subject_text_html_and_sms(template, language):
    message = service.render(template, language, variables())

    assert message.subject
    assert "\n" not in message.subject
    assert message.sms
    assert "\n" not in message.sms
    assert "Fix & Go" in message.sms or "R-2026-000042" in message.sms
    assert "Ana" in message.text
    assert "Ana" in message.html
    assert message.text.rstrip().endswith("hello@fixgo.example")
    assert message.html.lstrip().startswith("<!DOCTYPE html>")
    assert f'<html lang="{language}">' in message.html
    if template.startswith("repair_"):
        assert "R-2026-000042" in message.subject + message.text
        assert "Apple iPhone 13" in message.text


def test_languages_differ_and_unknown_languages_fall_back_to_english():
    english = service.render("repair_ready_pickup", "en", variables())
    portuguese = service.render("repair_ready_pickup", "pt", variables())
    fallback = service.render("repair_ready_pickup", "fr", variables())

    assert english.subject == "Your Apple iPhone 13 is ready for pickup (repair R-2026-000042)"
    assert (
        portuguese.subject == "O seu Apple iPhone 13 está pronto para levantamento (reparação R-2026-000042)"
    )
    assert "Olá Ana," in portuguese.text
    assert fallback == english


def test_optional_parts_appear_only_when_given():
    with_notes = service.render("repair_in_progress", "en", variables())
    without = service.render(
        "repair_in_progress", "en", variables(customer_note=None, estimated_completion=None)
    )

    assert "Note from the shop: Screen replaced" in with_notes.text
    assert "November 30, 2026" in with_notes.text
    assert "Note from the shop" not in without.text
    assert "ready by" not in without.text
    assert "\n\n\n" not in without.text


def test_html_escapes_variables_and_text_keeps_them_as_written():
    message = service.render(
        "repair_status_update",
        "en",
        variables(customer_first_name="<b>Ana</b>", customer_note='<script>alert("x")</script>'),
    )

    assert "<script>" not in message.html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in message.html
    assert "Hi &lt;b&gt;Ana&lt;/b&gt;," in message.html
    assert "Fix &amp; Go" in message.html
    assert 'Note from the shop: <script>alert("x")</script>' in message.text
    assert "Fix & Go" in message.sms


def test_line_breaks_in_variables_cannot_reach_the_subject():
    message = service.render("repair_created", "en", variables(device="Phone\r\nBcc: victim@example.com"))

    assert "\r" not in message.subject
    assert "\n" not in message.subject
    assert message.subject == "We received your Phone Bcc: victim@example.com (repair R-2026-000042)"


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ customer_first_name.__class__.__base__ }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ (0).__class__.__subclasses__() }}",
        "{% for c in [].__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
    ],
)
def test_sandbox_refuses_access_to_python_internals(source):
    template = service.template_environment().from_string(source)

    with pytest.raises(SecurityError):
        template.render(variables())


def test_sandbox_refuses_the_format_string_escape():
    template = service.template_environment().from_string('{{ "{0.__class__.__mro__}".format(shop_name) }}')

    with pytest.raises(SecurityError):
        template.render(variables())


def test_a_missing_variable_is_an_error_not_a_blank():
    with pytest.raises(UndefinedError):
        service.render("payment_reminder", "en", {k: v for k, v in variables().items() if k != "balance"})


def test_unknown_template_is_refused():
    with pytest.raises(ValueError, match="unknown notification template"):
        service.render("repair_exploded", "en", variables())


@pytest.mark.parametrize(
    ("status", "template"),
    [
        ("repairing", "repair_in_progress"),
        ("waiting_parts", "repair_delayed"),
        ("completed", "repair_ready_pickup"),
        ("delivered", "repair_delivered"),
        ("diagnosing", "repair_status_update"),
        ("quoted", "repair_status_update"),
        ("cancelled", "repair_status_update"),
    ],
)
def test_status_changes_map_to_seed_templates(status, template):
    event = PublishedEvent(
        id=None,  # type: ignore[arg-type]
        name="repair.status_changed",
        payload={"toStatus": status, "status": status, "notifyCustomer": True},
        occurred_at=datetime.now(UTC),
    )
    assert template_for(event) == template


def test_only_creation_and_notified_status_changes_pick_a_template():
    def event(name: str, **payload: object) -> PublishedEvent:
        return PublishedEvent(id=None, name=name, payload=payload, occurred_at=datetime.now(UTC))  # type: ignore[arg-type]

    assert template_for(event("repair.created", status="received")) == "repair_created"
    assert template_for(event("repair.status_changed", toStatus="repairing", notifyCustomer=False)) is None
    assert template_for(event("repair.completed", toStatus="completed", notifyCustomer=True)) is None
    assert template_for(event("repair.assigned", status="received")) is None


@pytest.mark.parametrize(
    ("value", "language", "expected"),
    [
        ("2026-11-30T23:59:59Z", "en", "November 30, 2026"),
        ("2026-11-30T23:59:59+00:00", "pt", "30 de novembro de 2026"),
        ("2026-03-01T01:00:00+02:00", "en", "February 28, 2026"),
        (None, "en", None),
    ],
)
def test_dates_are_written_for_the_customers_language(value, language, expected):
    assert service.format_date(value, language) == expected
