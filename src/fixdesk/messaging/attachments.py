"""Files attached to notification emails, made when the email is sent.

A notification stores only references (``[{"kind": "invoice_pdf", "reference": "<invoice id>"}]``); the
domain that owns the kind registers the function that turns a reference into the file
(:func:`attachment_maker`, e.g. billing's invoice PDF in :mod:`fixdesk.billing.jobs`), so messaging never
imports a domain above it and a notification row never holds the bytes. Makers run in the send job's
transaction and must keep CPU work off the event loop.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.config import Settings
from fixdesk.integrations.email import EmailAttachment

AttachmentMaker = Callable[[AsyncSession, Settings, str], Awaitable[EmailAttachment | None]]

_makers: dict[str, AttachmentMaker] = {}


def attachment_maker(kind: str) -> Callable[[AttachmentMaker], AttachmentMaker]:
    """Register the decorated coroutine ``(session, settings, reference) -> EmailAttachment | None`` as the
    maker of attachments of ``kind`` (``None``: the referenced record is gone)."""

    def decorate(function: AttachmentMaker) -> AttachmentMaker:
        _makers[kind] = function
        return function

    return decorate


class UnknownAttachment(LookupError):
    """No maker is registered for an attachment's kind, or its record is gone."""


async def make_attachments(
    session: AsyncSession, settings: Settings, references: list[Mapping[str, Any]]
) -> tuple[EmailAttachment, ...]:
    """The files of a notification's attachment references, in order. Raises :class:`UnknownAttachment`
    for a kind nobody registered or a record that no longer exists (retrying will not help)."""
    files: list[EmailAttachment] = []
    for reference in references:
        maker = _makers.get(str(reference.get("kind")))
        if maker is None:
            raise UnknownAttachment(f"no maker of {reference.get('kind')!r} attachments")
        attachment = await maker(session, settings, str(reference.get("reference")))
        if attachment is None:
            raise UnknownAttachment(f"the {reference.get('kind')} {reference.get('reference')} is gone")
        files.append(attachment)
    return tuple(files)
