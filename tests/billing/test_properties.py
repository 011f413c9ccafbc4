"""Properties of the money rules (issue 12, item 9), checked by Hypothesis:

* the totals rule, over thousands of random invoices under each rounding rule: the lines' net amounts add
  up to the subtotal, the tax breakdown to the tax, subtotal and tax to the total; each rate's tax is
  within the rule's rounding of the exact tax;
* the status rule, over thousands of random balances and days: it always matches the balance and the due
  date;
* the whole API, over random sequences of payments, refunds, credit notes, mark-paid and days passing on
  a real invoice (both databases): every answer (201/200 or 409) is what a model of the ledger predicts,
  the balance is never negative and always ``total − credited − paid``, and the status matches the
  balance and the due date after every step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fixdesk.billing import lifecycle, totals
from fixdesk.db import create_engine
from tests.conftest import make_settings, rolled_back, run_async
from tests.factories import bearer, make_customer, make_user
from tests.support.clock import FIXED_NOW

CENT = Decimal("0.01")
money = st.integers(min_value=0, max_value=500_000).map(lambda cents: Decimal(cents) / 100)
quantities = st.integers(min_value=1, max_value=50_000).map(lambda hundredths: Decimal(hundredths) / 100)
rates = st.sampled_from(
    [Decimal("0"), Decimal("5"), Decimal("8.25"), Decimal("8.875"), Decimal("20"), Decimal("23")]
)


@st.composite
def priced_lines(draw: Any) -> totals.LineInput:
    quantity = draw(quantities)
    unit_price = draw(money)
    gross = (quantity * unit_price).quantize(CENT, rounding=ROUND_HALF_UP)
    discount = draw(st.integers(min_value=0, max_value=int(gross * 100)).map(lambda c: Decimal(c) / 100))
    exempt = draw(st.booleans()) and draw(st.booleans())
    return totals.LineInput(quantity, unit_price, discount, Decimal("0") if exempt else draw(rates), exempt)


@settings(max_examples=800, deadline=None)
@given(
    lines=st.lists(priced_lines(), min_size=0, max_size=12),
    rounding=st.sampled_from(["per_document", "per_line"]),
)
def test_lines_and_taxes_add_up_to_the_total_under_each_rounding_rule(lines, rounding):
    result = totals.compute(lines, rounding)

    assert result.subtotal == sum((line.net_amount for line in result.lines), Decimal("0.00"))
    assert result.tax_amount == sum((group.tax_amount for group in result.breakdown), Decimal("0.00"))
    assert result.total == result.subtotal + result.tax_amount
    assert sum((group.taxable_amount for group in result.breakdown), Decimal("0.00")) == result.subtotal
    for line, priced in zip(lines, result.lines, strict=True):
        assert priced.net_amount >= 0
        assert (
            priced.net_amount
            == (line.quantity * line.unit_price).quantize(CENT, ROUND_HALF_UP) - line.discount
        )
    for group in result.breakdown:
        exact = group.taxable_amount * group.rate / 100
        members = [p for p in result.lines if (p.tax_rate, p.tax_exempt) == (group.rate, group.exempt)]
        # per document: one rounding per rate; per line: one per line.
        allowed = Decimal("0.005") * (len(members) if rounding == "per_line" else 1)
        assert abs(group.tax_amount - exact) <= allowed
    if rounding == "per_line":
        assert result.tax_amount == sum((p.tax_amount for p in result.lines), Decimal("0.00"))


@settings(max_examples=2500, deadline=None)
@given(
    total=money,
    paid_share=st.floats(min_value=0, max_value=1),
    credited_share=st.floats(min_value=0, max_value=1),
    due_in=st.integers(min_value=-60, max_value=60),
    draft=st.booleans(),
    void=st.booleans(),
)
def test_the_status_matches_the_balance_and_the_due_date(
    total, paid_share, credited_share, due_in, draft, void
):
    credited = (total * Decimal(str(credited_share))).quantize(CENT, rounding="ROUND_DOWN")
    paid = ((total - credited) * Decimal(str(paid_share))).quantize(CENT, rounding="ROUND_DOWN")
    balance = total - credited - paid
    today = date(2026, 6, 17)

    status = lifecycle.status_for(
        draft=draft,
        void=void,
        balance_due=balance,
        amount_paid=paid,
        due_date=today + timedelta(days=due_in),
        today=today,
    )

    if void:
        assert status == "void"
    elif draft:
        assert status == "draft"
    elif balance == 0:
        assert status == "paid"
    elif due_in < 0:
        assert status == "overdue"
    else:
        assert status == ("partially_paid" if paid > 0 else "sent")


# --- the API against a model of the ledger ------------------------------------------------------------


@dataclass
class Ledger:
    """What the invoice should say: its total, the payments (amount, refunded) and credit notes."""

    total: Decimal
    due_date: date
    payments: list[list[Any]] = field(default_factory=list)  # [payment id, amount, refunded]
    credited: Decimal = Decimal("0.00")

    @property
    def paid(self) -> Decimal:
        return sum((amount - refunded for _, amount, refunded in self.payments), Decimal("0.00"))

    @property
    def balance(self) -> Decimal:
        return self.total - self.credited - self.paid

    def status(self, today: date) -> str:
        return lifecycle.status_for(
            draft=False,
            void=False,
            balance_due=self.balance,
            amount_paid=self.paid,
            due_date=self.due_date,
            today=today,
        ).value


operations = st.lists(
    st.one_of(
        st.tuples(st.just("pay"), st.integers(min_value=1, max_value=40_000)),
        st.tuples(
            st.just("refund"),
            st.integers(min_value=0, max_value=10),
            st.integers(min_value=1, max_value=40_000),
        ),
        st.tuples(st.just("credit"), st.integers(min_value=1, max_value=40_000)),
        st.tuples(st.just("wait"), st.integers(min_value=1, max_value=20)),
        st.tuples(st.just("mark_paid")),
    ),
    min_size=1,
    max_size=10,
)


async def _scenario(
    database_url: str, tmp_path: Any, lines: list[dict], terms: int, rounding: str, ops: list
) -> None:
    engine = create_engine(database_url, pool_size=2)
    try:
        async with rolled_back(engine) as database:
            app = database.app(
                make_settings(database_url, tmp_path, tax_rate="8.25", invoice_rounding=rounding)
            )
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
                with time_machine.travel(FIXED_NOW, tick=True) as clock:
                    await _run(client, app, database.sessionmaker, clock, lines, terms, ops)
    finally:
        await engine.dispose()


async def _run(
    client: httpx.AsyncClient,
    app: Any,
    sessionmaker: Any,
    clock: Any,
    lines: list[dict],
    terms: int,
    ops: list,
) -> None:
    manager = await make_user(app, sessionmaker, "manager")
    customer = await make_customer(app, sessionmaker)
    created = await client.post(
        "/api/v1/invoices",
        json={"customerId": str(customer.id), "lines": lines, "paymentTermsDays": terms},
        headers=manager.headers,
    )
    assert created.status_code == 201, created.text
    issued = await client.post(f"/api/v1/invoices/{created.json()['id']}/finalize", headers=manager.headers)
    invoice = issued.json()
    invoice_id = invoice["id"]
    model = Ledger(total=Decimal(str(invoice["total"])), due_date=date.fromisoformat(invoice["dueDate"]))
    today = FIXED_NOW.date()
    if True:
        for op in ops:
            kind = op[0]
            if kind == "pay":
                amount = Decimal(op[1]) / 100
                response = await client.post(
                    "/api/v1/payments",
                    json={"invoiceId": invoice_id, "amount": str(amount), "method": "cash"},
                    headers=manager.headers,
                )
                if model.balance <= 0 or amount > model.balance:
                    assert response.status_code == 409, response.text
                else:
                    assert response.status_code == 201, response.text
                    model.payments.append([response.json()["id"], amount, Decimal("0.00")])
            elif kind == "refund":
                if not model.payments:
                    continue
                target = model.payments[op[1] % len(model.payments)]
                amount = Decimal(op[2]) / 100
                response = await client.post(
                    f"/api/v1/payments/{target[0]}/refund",
                    json={"amount": str(amount)},
                    headers=manager.headers,
                )
                if amount > target[1] - target[2]:
                    assert response.status_code == 409, response.text
                else:
                    assert response.status_code == 201, response.text
                    target[2] += amount
            elif kind == "credit":
                amount = Decimal(op[1]) / 100
                response = await client.post(
                    f"/api/v1/invoices/{invoice_id}/credit-notes",
                    json={
                        "reason": "Correction",
                        "lines": [{"description": "Credit", "unitPrice": str(amount), "taxExempt": True}],
                    },
                    headers=manager.headers,
                )
                if amount > model.balance:
                    assert response.status_code == 409, response.text
                else:
                    assert response.status_code == 201, response.text
                    model.credited += amount
            elif kind == "wait":
                today += timedelta(days=op[1])
                clock.move_to(FIXED_NOW + (today - FIXED_NOW.date()))
                # Access tokens last 15 minutes: sign in again on the new day.
                manager.headers = bearer(app, manager.id, "manager", "user")
            else:
                response = await client.post(
                    f"/api/v1/invoices/{invoice_id}/mark-paid", headers=manager.headers
                )
                if model.balance <= 0:
                    assert response.status_code == 409, response.text
                else:
                    assert response.status_code == 200, response.text
                    model.payments.append(
                        [response.json()["payments"][-1]["id"], model.balance, Decimal("0.00")]
                    )
            body = (await client.get(f"/api/v1/invoices/{invoice_id}", headers=manager.headers)).json()
            balance = Decimal(str(body["balanceDue"]))
            assert balance >= 0
            assert balance == model.balance
            assert Decimal(str(body["amountPaid"])) == model.paid
            assert Decimal(str(body["amountCredited"])) == model.credited
            assert balance == Decimal(str(body["total"])) - model.credited - model.paid
            assert body["status"] == model.status(today), (op, body["status"])
            assert (body["paidAt"] is not None) == (body["status"] == "paid")


invoice_lines = st.lists(
    st.fixed_dictionaries(
        {
            "description": st.just("Line"),
            "quantity": quantities.map(str),
            "unitPrice": st.integers(min_value=1, max_value=50_000).map(lambda c: str(Decimal(c) / 100)),
        }
    ),
    min_size=1,
    max_size=4,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lines=invoice_lines,
    terms=st.integers(min_value=0, max_value=30),
    rounding=st.sampled_from(["per_document", "per_line"]),
    ops=operations,
)
def test_payments_refunds_and_credit_notes_keep_balance_and_status_right(
    database_url, tmp_path_factory, lines, terms, rounding, ops
):
    run_async(_scenario, database_url, tmp_path_factory.mktemp("ledger"), lines, terms, rounding, ops)
