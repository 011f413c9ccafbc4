"""The warranty view runs a fixed number of statements however many warranties and claims a repair has,
and every warranty lookup is served by an index (PostgreSQL's EXPLAIN)."""

from __future__ import annotations

import uuid

import asyncpg
import pytest
from sqlalchemy import Select
from sqlalchemy.engine import make_url

from fixdesk.repairs.warranty import service
from tests.factories import TO_COMPLETED, make_repair, walk
from tests.repairs.warranty.conftest import add_item, make_bench
from tests.support.explain import explain, sequential_scans


async def view_statements(client, bench, repair_id: str, statement_counter) -> int:
    statement_counter.reset()
    response = await client.get(f"/api/v1/repairs/{repair_id}/warranty", headers=bench.admin.headers)
    assert response.status_code == 200
    return statement_counter.count


async def test_the_view_statement_count_does_not_grow_with_warranties_or_claims(
    client, app, sessionmaker, statement_counter
):
    bench = await make_bench(client, app, sessionmaker)
    small, _ = await bench.completed_repair()
    large = await make_repair(client, bench.admin, bench.customer.id)
    for position in range(5):
        await add_item(
            sessionmaker,
            large["id"],
            part_type=bench.part_type,
            description=f"Part {position}",
            position=position,
        )
    await walk(client, bench.admin, large["id"], *TO_COMPLETED)
    await bench.settle()
    view = (await client.get(f"/api/v1/repairs/{large['id']}/warranty", headers=bench.admin.headers)).json()
    for warranty in view["warranties"][:3]:
        claim = await client.post(
            f"/api/v1/repairs/{large['id']}/warranty-claims",
            json={"warrantyId": warranty["id"], "issueDescription": "Fails again"},
            headers=bench.admin.headers,
        )
        assert claim.status_code == 201

    few = await view_statements(client, bench, small["id"], statement_counter)
    many = await view_statements(client, bench, large["id"], statement_counter)

    assert many == few
    job_id = claim.json()["claimRepairId"]
    # A warranty job reads one more row: the claim that opened it.
    assert await view_statements(client, bench, job_id, statement_counter) == few + 1


def _statements() -> dict[str, Select]:
    some_id = uuid.uuid4()
    return {
        "warranties of a repair": service.warranties_statement(some_id),
        "claims on a repair": service.claims_statement(some_id),
        "claim that opened a job": service.origin_statement(some_id),
        "open claim of a warranty": service.open_claim_statement(some_id),
        "lines without a warranty": service.unwarranted_items_statement(some_id),
    }


async def test_every_warranty_lookup_uses_an_index(backend, app, engine):
    if backend != "postgresql":
        pytest.skip("index use is checked with PostgreSQL's EXPLAIN")
    url = make_url(engine.url)
    connection = await asyncpg.connect(
        host=url.host, port=url.port or 5432, user=url.username, database=url.database
    )
    problems = []
    try:
        # With sequential scans priced out, a lookup without a usable index still shows up as a Seq Scan.
        await connection.execute("SET enable_seqscan = off")
        for name, statement in _statements().items():
            scans = sequential_scans(await explain(connection, engine, statement))
            if scans:
                problems.append(f"{name}: scans {scans} sequentially")
    finally:
        await connection.close()
    assert problems == [], "\n".join(problems)
