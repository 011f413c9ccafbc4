"""Billing under concurrency on PostgreSQL. Gap-free invoice numbers (issue 12, item 9): 50 drafts finalised at once on
PostgreSQL, each in its own transaction on its own connection, a fifth of them rolled back after taking
their number: the committed invoices hold exactly 000001…000040, each once. And payments racing for
one balance: the invoice row lock lets exactly one take it."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import select

from fixdesk.billing.invoices.service import finalize_invoice
from fixdesk.billing.models import Invoice, Payment
from fixdesk.billing.payments.service import create_payment
from fixdesk.billing.schemas import PaymentCreate
from fixdesk.db import transaction
from fixdesk.platform.errors import Conflict
from fixdesk.platform.permissions import Principal
from tests.billing.helpers import make_invoice
from tests.factories import make_customer, make_user

pytestmark = pytest.mark.usefixtures("fixed_clock")


class Abandoned(Exception):
    """Raised inside a finalising transaction after the number was taken, to roll it back."""


@pytest.mark.commits  # fifty transactions racing, each on its own connection
async def test_fifty_concurrent_finalisations_leave_no_gap(app, client, sessionmaker):
    settings = app.state.settings
    if settings.is_sqlite:
        pytest.skip("SQLite runs one writer at a time; the race needs PostgreSQL")
    agent = await make_user(app, sessionmaker, "agent")
    customer = await make_customer(app, sessionmaker)
    drafts = [(await make_invoice(client, agent, customer.id))["id"] for _ in range(50)]
    principal = Principal(id=agent.id, type="user", role="agent")

    async def finalise(index: int, invoice_id: str) -> str:
        async with transaction(sessionmaker) as session:
            invoice = await finalize_invoice(session, principal, uuid.UUID(invoice_id), settings=settings)
            number = invoice.invoice_number
            if index % 5 == 0:
                raise Abandoned(number)
        return number

    results = await asyncio.gather(*(finalise(i, d) for i, d in enumerate(drafts)), return_exceptions=True)

    abandoned = [r for r in results if isinstance(r, Abandoned)]
    assert len(abandoned) == 10
    assert not [r for r in results if isinstance(r, BaseException) and not isinstance(r, Abandoned)]
    async with sessionmaker() as session:
        numbers = list(
            (
                await session.execute(
                    select(Invoice.invoice_number).where(Invoice.invoice_number.is_not(None))
                )
            ).scalars()
        )
    assert sorted(numbers) == [f"INV-2026-{n:06d}" for n in range(1, 41)]
    async with sessionmaker() as session:
        left = (
            (await session.execute(select(Invoice.status).where(Invoice.invoice_number.is_(None))))
            .scalars()
            .all()
        )
    assert left == ["draft"] * 10


@pytest.mark.commits  # two payments racing for one balance, each on its own connection
async def test_two_payments_racing_for_one_balance_cannot_both_be_taken(app, client, sessionmaker):
    settings = app.state.settings
    if settings.is_sqlite:
        pytest.skip("SQLite runs one writer at a time; the race needs PostgreSQL")
    agent = await make_user(app, sessionmaker, "agent")
    customer = await make_customer(app, sessionmaker)
    draft = await make_invoice(client, agent, customer.id)
    principal = Principal(id=agent.id, type="user", role="agent")
    async with transaction(sessionmaker) as session:
        invoice = await finalize_invoice(session, principal, uuid.UUID(draft["id"]), settings=settings)
        balance = invoice.balance_due

    async def pay_all() -> Payment:
        async with transaction(sessionmaker) as session:
            return await create_payment(
                session,
                principal,
                PaymentCreate(invoice_id=uuid.UUID(draft["id"]), amount=balance, method="cash"),
                settings=settings,
            )

    results = await asyncio.gather(*(pay_all() for _ in range(6)), return_exceptions=True)

    assert len([r for r in results if isinstance(r, Payment)]) == 1
    assert all(isinstance(r, Conflict) for r in results if not isinstance(r, Payment))
    async with sessionmaker() as session:
        stored = await session.get(Invoice, uuid.UUID(draft["id"]))
        assert (stored.status, stored.balance_due, stored.amount_paid) == ("paid", 0, balance)
