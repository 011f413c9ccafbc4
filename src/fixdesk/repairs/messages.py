"""What customers are told about their repairs: the template announcing each event, the names of the
statuses in the customer's language and the variables a repair message is rendered with.

Sending is messaging's job (:func:`fixdesk.messaging.service.notify_customer`); the subscriber that decides
to send is :func:`fixdesk.repairs.jobs.notify_on_repair_event`. The templates are in
``repairs/message_templates/<language>/<template>.txt`` and ``.html``, declared in the repairs manifest.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from fixdesk.config import Settings
from fixdesk.customers.models import Customer
from fixdesk.messaging.service import format_date, format_money, language_of
from fixdesk.repairs.models import RepairStatus

REPAIR_CREATED_TEMPLATE = "repair_created"
GENERIC_STATUS_TEMPLATE = "repair_status_update"
# ``completed`` means ready for pickup in our lifecycle, so it announces the pickup; repair_completed is
# there for shops that want to say "done" without inviting the customer in.
STATUS_TEMPLATES: dict[str, str] = {
    RepairStatus.repairing.value: "repair_in_progress",
    RepairStatus.waiting_parts.value: "repair_delayed",
    RepairStatus.completed.value: "repair_ready_pickup",
    RepairStatus.delivered.value: "repair_delivered",
}

# The customer portal's page of one repair (fixdesk.web.portal); signed out, it leads through the portal's
# sign-in and back (``/portal/login?next=…``).
PORTAL_REPAIR_PATH = "/portal/repairs/"

STATUS_LABELS: dict[str, dict[str, str]] = {
    "en": {
        "received": "Received",
        "diagnosing": "Diagnosing",
        "quoted": "Quote ready",
        "approved": "Quote approved",
        "repairing": "In repair",
        "waiting_parts": "Waiting for parts",
        "testing": "Testing",
        "completed": "Ready for pickup",
        "delivered": "Collected",
        "cancelled": "Cancelled",
    },
    "pt": {
        "received": "Recebido",
        "diagnosing": "Em diagnóstico",
        "quoted": "Orçamento pronto",
        "approved": "Orçamento aprovado",
        "repairing": "Em reparação",
        "waiting_parts": "A aguardar peças",
        "testing": "Em testes",
        "completed": "Pronto para levantamento",
        "delivered": "Entregue",
        "cancelled": "Cancelado",
    },
}


def template_for_status(status: str) -> str:
    """The template announcing a repair's move to ``status``."""
    return STATUS_TEMPLATES.get(status, GENERIC_STATUS_TEMPLATE)


def status_label(status: str | None, language: str) -> str:
    """The customer-facing name of a repair status in ``language``."""
    if not status:
        return ""
    return STATUS_LABELS[language_of(language)].get(status, status.replace("_", " "))


def portal_url(settings: Settings, repair_id: uuid.UUID | str) -> str:
    """The repair's page in the customer portal: ``<FIXDESK_PUBLIC_BASE_URL>/portal/repairs/<repair id>``
    (the base URL resolved as for :func:`fixdesk.repairs.tracking.service.tracking_url`). Unlike the
    tracking link it reveals nothing by itself: the page asks the customer to sign in first."""
    return f"{settings.resolved_public_base_url}{PORTAL_REPAIR_PATH}{repair_id}"


def device_name(brand: str | None, model: str | None) -> str:
    """A device as people say it: brand and model, without saying the brand twice when the model's name
    already starts with it (the catalog names models "Nokia 7.2", "Apple Watch Series 9")."""
    brand, model = (brand or "").strip(), (model or "").strip()
    if brand and model.casefold().startswith(brand.casefold()):
        return model
    return " ".join(part for part in (brand, model) if part)


def repair_variables(
    payload: Mapping[str, Any],
    customer: Customer,
    *,
    tracking_url: str | None = None,
    portal_url: str | None = None,
    balance: Decimal | None = None,
    currency: str | None = None,
) -> dict[str, Any]:
    """Template variables of a repair event (its camelCase payload) for ``customer``.

    ``tracking_url`` is the repair's public status page (``<public base url>/track/<token>``); events do
    not carry the token, so the caller reads it from the repair. ``portal_url`` is the repair's page in
    the customer portal (:func:`portal_url`). Templates test both with
    ``{% if tracking_url is defined and tracking_url %}``: notifications stored before they existed still
    render. ``customer_note`` is the status change's note for the customer (``customerNote``), tested the
    same way; the staff's internal ``notes`` are never a variable, so no template can leak them (a
    notification stored before the two were told apart still holds a ``notes`` variable, which no
    template reads any more).

    ``balance_due`` is what the customer still owes on the repair: ``balance`` (the repair's total less
    its deposit, :attr:`fixdesk.repairs.models.Repair.balance`) in ``currency`` as the customer reads
    money, or ``None`` when nothing is owed or no total is set yet; the pickup message states it. It is
    the repair's own figure: repairs do not read billing (billing imports repairs, not the other way), so
    a payment taken on the repair's invoice before pickup is not subtracted here."""
    language = language_of(customer.language)
    status = payload.get("toStatus") or payload.get("status")
    return {
        "customer_first_name": customer.first_name,
        "repair_number": payload.get("repairNumber"),
        "device": device_name(payload.get("deviceBrand"), payload.get("deviceModel")),
        "status": status,
        "status_label": status_label(status, language),
        # Only the note meant for the customer; the staff's internal "notes" never reach a message.
        "customer_note": payload.get("customerNote"),
        "estimated_completion": format_date(payload.get("estimatedCompletion"), language),
        "tracking_url": tracking_url,
        "portal_url": portal_url,
        "balance_due": format_money(balance, currency, customer.locale, language)
        if balance is not None and balance > 0 and currency
        else None,
    }
