"""Notification rules: who gets a message on which channel, rendering in a sandbox, the per-customer
hourly limits, retries, the customer's inbox and provider delivery reports. What to tell a customer about
a domain's records, and when, is that domain's business (e.g. :mod:`fixdesk.repairs.messages`).

Templates live in ``<folder>/<language>/``: messaging's own folder (``messaging/templates``, with each
language's ``layout.html`` and ``footer.txt``) and the folders the domains declare in their manifests
(:attr:`~fixdesk.platform.domains.DomainManifest.message_templates`, e.g. ``repairs/message_templates``).
``<template>.txt`` holds three blocks (``subject``, ``text`` for the plain-text email, ``sms``) and
``<template>.html`` the HTML email, extending that language's ``layout.html``. They are rendered in Jinja2's :class:`~jinja2.sandbox.SandboxedEnvironment`
(HTML autoescaped), so a template edited by a shop can read the variables it is given and nothing else.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from babel import Locale, UnknownLocaleError
from babel import dates as babel_dates
from babel.numbers import format_currency
from jinja2 import BaseLoader, ChoiceLoader, PackageLoader, StrictUndefined, select_autoescape
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy import Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.config import Settings
from fixdesk.customers.models import Customer, CustomerStatus
from fixdesk.db import new_id, utcnow
from fixdesk.messaging.models import Notification, NotificationChannel, NotificationStatus
from fixdesk.platform import domains
from fixdesk.platform.errors import Conflict, NotFound
from fixdesk.platform.jobs import enqueue
from fixdesk.platform.jobs.queue import insert_ignoring_conflicts
from fixdesk.platform.pagination import PageParams, paginate

SEND_JOB = "messaging.send"
RATE_LIMITED = "rate_limited"
LANGUAGES = ("en", "pt")
DEFAULT_LANGUAGE = "en"
PREVIEW_LENGTH = 500
ERROR_LENGTH = 2000

# Messaging's own templates (seed 003's payment messages, kept here until billing ships its own).
OWN_TEMPLATES = ("payment_received", "payment_reminder")
# Emails about a customer's (or a staff user's) account, sent by identity's jobs: not notifications (no
# SMS, no inbox row, no hourly limit), each with a subject and text block and an HTML body.
ACCOUNT_TEMPLATES = (
    "portal_invitation",
    "password_reset",
    "registration_attempt",
    "email_changed",
)


def language_of(value: str | None) -> str:
    """A language we have templates for (unknown ones fall back to English)."""
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


def format_date(value: str | datetime | None, language: str) -> str | None:
    """``November 30, 2026`` / ``30 de novembro de 2026``: the CLDR long date format of ``language``
    (Babel).

    Dates entered without a time are stored as the end of that day in UTC, so the UTC date is the one the
    shop meant; converting to the customer's zone could move it to the next day.
    """
    if value is None or value == "":
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return babel_dates.format_date(moment.date(), format="long", locale=language_of(language))


def format_money(amount: Decimal | float | str, currency: str, locale: str | None, language: str) -> str:
    """An amount as the customer reads it, by the CLDR rules of their ``locale`` (a BCP 47 tag such as
    ``pt-PT``; their ``language`` when unset or unknown): ``$1,234.50``, ``1234,50 US$`` (pt-PT),
    ``US$ 1.234,50`` (pt). ``currency`` is an ISO 4217 code; the amount is exact (never a float)."""
    value = Decimal(str(amount))
    try:
        tag = Locale.parse((locale or language_of(language)).replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        tag = Locale.parse(language_of(language))
    return format_currency(value, currency, locale=tag)


def shop_variables(settings: Settings) -> dict[str, str]:
    """The shop's name and contacts, available to every template."""
    return {
        "shop_name": settings.shop_name,
        "shop_phone": settings.shop_phone,
        "shop_email": settings.shop_email,
    }


# --- rendering ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RenderedMessage:
    """One template rendered for one customer: the email's subject, text and HTML, and the SMS text."""

    subject: str
    text: str
    html: str
    sms: str


def template_names() -> tuple[str, ...]:
    """Every template a notification may use: messaging's own and those of the installed domains."""
    declared = (
        name
        for manifest in domains.installed()
        for templates in manifest.message_templates
        for name in templates.names
    )
    return (*OWN_TEMPLATES, *declared)


@functools.cache
def template_environment() -> SandboxedEnvironment:
    """The sandboxed Jinja2 environment over messaging's templates and the installed domains' (HTML
    autoescaped, unknown variables are errors so a typo in a template fails its test instead of sending a
    blank). Template paths are ``<language>/<name>.txt``, the same in every folder."""
    loaders: list[BaseLoader] = [PackageLoader("fixdesk.messaging", "templates")]
    for manifest in domains.installed():
        loaders.extend(PackageLoader(t.package, t.folder) for t in manifest.message_templates)
    return SandboxedEnvironment(
        loader=ChoiceLoader(loaders),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False, default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _one_line(value: str) -> str:
    # Subjects and SMS are single lines; this also keeps a newline in a customer's name out of headers.
    return " ".join(value.split())


def _tidy(value: str) -> str:
    lines = [line.rstrip() for line in value.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


def render(template: str, language: str, variables: Mapping[str, Any]) -> RenderedMessage:
    """Render ``template`` in ``language`` with ``variables`` (the shop's included by the caller).

    Raises ``ValueError`` for an unknown template, :class:`jinja2.exceptions.SecurityError` for a template
    reaching outside the sandbox and :class:`jinja2.exceptions.UndefinedError` for a missing variable.
    """
    if template not in template_names():
        raise ValueError(f"unknown notification template {template!r}")
    return _render(template, language, variables, with_sms=True)


def render_account_email(template: str, language: str, variables: Mapping[str, Any]) -> RenderedMessage:
    """Render one of :data:`ACCOUNT_TEMPLATES` (an email about the customer's account, with the shop's
    variables included by the caller); ``sms`` is empty. Same errors as :func:`render`."""
    if template not in ACCOUNT_TEMPLATES:
        raise ValueError(f"unknown account email template {template!r}")
    return _render(template, language, variables, with_sms=False)


def _render(template: str, language: str, variables: Mapping[str, Any], *, with_sms: bool) -> RenderedMessage:
    language = language_of(language)
    environment = template_environment()
    text_template = environment.get_template(f"{language}/{template}.txt")
    context = text_template.new_context(dict(variables))

    def block(name: str) -> str:
        return "".join(text_template.blocks[name](context))

    subject = _one_line(block("subject"))
    html = environment.get_template(f"{language}/{template}.html").render({**variables, "subject": subject})
    sms = _one_line(block("sms")) if with_sms else ""
    return RenderedMessage(subject=subject, text=_tidy(block("text")), html=html, sms=sms)


def render_notification(notification: Notification, settings: Settings) -> RenderedMessage:
    """The message of a stored notification, from the variables captured when it was created."""
    return render(
        notification.event, notification.language, {**shop_variables(settings), **notification.variables}
    )


def _preview(message: RenderedMessage, channel: str) -> str:
    text = message.sms if channel != NotificationChannel.email else _one_line(message.text)
    return text if len(text) <= PREVIEW_LENGTH else text[: PREVIEW_LENGTH - 1] + "…"


# --- creating notifications ---------------------------------------------------------------------------


def channels_for(customer: Customer) -> list[tuple[str, str]]:
    """``(channel, recipient)`` for each channel the customer wants and has an address for."""
    channels: list[tuple[str, str]] = []
    if customer.notify_email and customer.email:
        channels.append((NotificationChannel.email.value, customer.email))
    if customer.notify_sms and customer.phone:
        channels.append((NotificationChannel.sms.value, customer.phone))
    return channels


async def notify_customer(
    session: AsyncSession,
    settings: Settings,
    customer: Customer,
    template: str,
    variables: Mapping[str, Any],
    *,
    repair_id: uuid.UUID | None = None,
    event_id: uuid.UUID | None = None,
    attachments: Sequence[Mapping[str, str]] = (),
    channels: Sequence[str] | None = None,
) -> list[uuid.UUID]:
    """Queue ``template`` to ``customer`` on every channel they prefer and can receive, in the caller's
    transaction: one notification row and one ``messaging.send`` job each. Returns the new ids.

    ``attachments`` are references of files the email carries (:mod:`fixdesk.messaging.attachments`);
    ``channels`` limits the channels (e.g. ``["email"]`` for a document that only an email can carry).

    With an ``event_id`` a second call for the same event and channel creates nothing (the row is unique
    on both), so an event dispatched twice notifies once. Archived customers are not notified.
    Raises like :func:`render` for a template that cannot be rendered.
    """
    if customer.status == CustomerStatus.archived.value:
        return []
    wanted = channels
    channels = [pair for pair in channels_for(customer) if wanted is None or pair[0] in wanted]
    if not channels:
        return []
    language = language_of(customer.language)
    stored = dict(variables)
    message = render(template, language, {**shop_variables(settings), **stored})
    created: list[uuid.UUID] = []
    for channel, recipient in channels:
        notification_id = new_id()
        values = {
            "id": notification_id,
            "customer_id": customer.id,
            "repair_id": repair_id,
            "channel": channel,
            "event": template,
            "language": language,
            "recipient": recipient,
            "subject": message.subject if channel == NotificationChannel.email else None,
            "body_preview": _preview(message, channel),
            "variables": stored,
            "status": NotificationStatus.queued.value,
            "attempts": 0,
            "created_at": utcnow(),
            "event_id": event_id,
            "attachments": [dict(item) for item in attachments]
            if channel == NotificationChannel.email
            else [],
        }
        result = await session.execute(insert_ignoring_conflicts(session, Notification).values(**values))
        if result.rowcount != 1:
            continue
        await enqueue(
            session,
            SEND_JOB,
            {"notificationId": str(notification_id)},
            unique_key=f"notification:{notification_id}",
        )
        created.append(notification_id)
    return created


# --- sending ------------------------------------------------------------------------------------------


def hourly_limit(channel: str, settings: Settings) -> int:
    """How many messages of ``channel`` one customer may be sent per hour (seed 003: SMS 10, email 50;
    WhatsApp has the SMS limit, counted separately)."""
    return settings.email_per_hour if channel == NotificationChannel.email else settings.sms_per_hour


async def sent_in_last_hour(session: AsyncSession, customer_id: uuid.UUID, channel: str) -> int:
    """How many notifications of ``channel`` the customer was sent in the past hour."""
    since = utcnow() - timedelta(hours=1)
    statement = select(func.count()).where(
        Notification.customer_id == customer_id,
        Notification.channel == channel,
        Notification.status == NotificationStatus.sent.value,
        Notification.sent_at >= since,
    )
    return (await session.execute(statement)).scalar_one()


async def is_rate_limited(session: AsyncSession, notification: Notification, settings: Settings) -> bool:
    """True when sending ``notification`` now would exceed the customer's hourly limit for its channel."""
    limit = hourly_limit(notification.channel, settings)
    return await sent_in_last_hour(session, notification.customer_id, notification.channel) >= limit


def error_text(error: BaseException) -> str:
    """An exception as stored in ``Notification.error``."""
    return f"{type(error).__name__}: {error}"[:ERROR_LENGTH]


# --- staff --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NotificationFilters:
    customer_id: uuid.UUID | None = None
    repair_id: uuid.UUID | None = None
    status: str | None = None
    channel: str | None = None


def list_statement(filters: NotificationFilters) -> Select[tuple[Notification]]:
    statement = select(Notification)
    if filters.customer_id is not None:
        statement = statement.where(Notification.customer_id == filters.customer_id)
    if filters.repair_id is not None:
        statement = statement.where(Notification.repair_id == filters.repair_id)
    if filters.status is not None:
        statement = statement.where(Notification.status == filters.status)
    if filters.channel is not None:
        statement = statement.where(Notification.channel == filters.channel)
    return statement.order_by(Notification.created_at.desc(), Notification.id.desc())


async def list_notifications(
    session: AsyncSession, filters: NotificationFilters, params: PageParams
) -> tuple[list[Notification], int]:
    """A page of notifications, newest first."""
    rows, total = await paginate(session, list_statement(filters), params)
    return list(rows), total


async def retry_notification(session: AsyncSession, notification_id: uuid.UUID) -> Notification:
    """Queue a failed notification again with a new send job.

    Raises :class:`NotFound` (404) for an unknown id and :class:`Conflict` (409) unless it is ``failed``
    (a sent one must not go twice; a queued one already has its job).
    """
    notification = await session.get(Notification, notification_id, with_for_update=True)
    if notification is None:
        raise NotFound(f"Notification {notification_id} not found.")
    if notification.status != NotificationStatus.failed:
        raise Conflict(
            f"Only failed notifications can be retried; this one is {notification.status}.",
            status=notification.status,
        )
    notification.status = NotificationStatus.queued.value
    notification.error = None
    await session.flush()
    await enqueue(
        session,
        SEND_JOB,
        {"notificationId": str(notification.id)},
        unique_key=f"notification:{notification.id}:retry:{new_id()}",
    )
    return notification


# --- the customer's inbox -----------------------------------------------------------------------------


def _inbox(customer_id: uuid.UUID) -> Select[tuple[Notification]]:
    # The portal shows what reached the customer: queued and failed messages never did.
    return select(Notification).where(
        Notification.customer_id == customer_id, Notification.status == NotificationStatus.sent.value
    )


async def list_customer_notifications(
    session: AsyncSession, customer_id: uuid.UUID, params: PageParams
) -> tuple[list[Notification], int, int]:
    """A page of the messages sent to the customer (newest first), the total and how many are unread."""
    statement = _inbox(customer_id).order_by(Notification.created_at.desc(), Notification.id.desc())
    rows, total = await paginate(session, statement, params)
    unread = select(func.count()).select_from(
        _inbox(customer_id).where(Notification.read_at.is_(None)).subquery()
    )
    return list(rows), total, (await session.execute(unread)).scalar_one()


async def mark_read(
    session: AsyncSession, customer_id: uuid.UUID, notification_id: uuid.UUID
) -> Notification:
    """Mark one of the customer's messages read (again is harmless); another customer's is 404."""
    statement = _inbox(customer_id).where(Notification.id == notification_id)
    notification = (await session.execute(statement)).scalar_one_or_none()
    if notification is None:
        raise NotFound(f"Notification {notification_id} not found.")
    if notification.read_at is None:
        notification.read_at = utcnow()
        await session.flush()
    return notification


# --- provider delivery reports ------------------------------------------------------------------------

# Twilio's message statuses in the order a message moves through them; callbacks can arrive out of
# order, and a late "sent" must not overwrite "delivered".
_PROVIDER_STATUS_RANK = {
    "accepted": 0,
    "scheduled": 0,
    "queued": 0,
    "sending": 1,
    "sent": 2,
    "delivered": 3,
    "undelivered": 3,
    "failed": 3,
    "canceled": 3,
    "read": 4,
}
_DELIVERED = {"delivered", "read"}
_UNDELIVERED = {"failed", "undelivered", "canceled"}


async def apply_delivery_status(
    session: AsyncSession,
    provider_message_id: str,
    provider_status: str,
    *,
    error_code: str | None = None,
    error_message: str | None = None,
) -> bool:
    """Record a provider's delivery report for the message it knows as ``provider_message_id``.

    ``delivered`` makes the notification ``sent``; ``failed``/``undelivered`` make it ``failed`` with the
    provider's error code. Returns False when no notification has that id.
    """
    statement = (
        select(Notification).where(Notification.provider_message_id == provider_message_id).with_for_update()
    )
    notification = (await session.execute(statement.limit(1))).scalar_one_or_none()
    if notification is None:
        return False
    status = provider_status.strip().lower()
    previous_rank = _PROVIDER_STATUS_RANK.get(notification.provider_status or "", -1)
    if _PROVIDER_STATUS_RANK.get(status, 0) < previous_rank:
        return True
    notification.provider_status = status[:30]
    if status in _DELIVERED:
        notification.status = NotificationStatus.sent.value
        notification.sent_at = notification.sent_at or utcnow()
        notification.error = None
    elif status in _UNDELIVERED:
        notification.status = NotificationStatus.failed.value
        reason = f"{notification.provider or 'provider'} {status}"
        if error_code:
            reason += f" (error {error_code})"
        if error_message:
            reason += f": {error_message}"
        notification.error = reason[:ERROR_LENGTH]
    await session.flush()
    return True


async def erase_customer_notifications(session: AsyncSession, customer_id: uuid.UUID) -> int:
    """Blank the personal data of a customer's notifications for an account erasure (GDPR): the recipient
    address, subject, rendered text, template variables and provider error go; the delivery record
    (channel, template, status, times) stays for the shop's history. Returns how many rows were erased."""
    result = await session.execute(
        update(Notification)
        .where(Notification.customer_id == customer_id)
        .values(recipient="", subject=None, body_preview="", variables={}, error=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount
