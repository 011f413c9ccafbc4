"""Reading PostgreSQL query plans in tests: does a statement use an index, or scan a table?"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import asyncpg
from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncEngine

INDEX_SCANS = ("Index Scan", "Index Only Scan", "Bitmap Index Scan")


def plan_nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every node of an ``EXPLAIN (FORMAT JSON)`` plan, the root first."""
    yield plan
    for child in plan.get("Plans", []):
        yield from plan_nodes(child)


async def explain(connection: asyncpg.Connection, engine: AsyncEngine, statement: Select) -> dict[str, Any]:
    """The plan PostgreSQL picks for ``statement`` (compiled for ``engine``), run on a raw asyncpg
    ``connection`` so session settings such as ``enable_seqscan`` apply."""
    compiled = statement.compile(dialect=engine.dialect, compile_kwargs={"render_postcompile": True})
    arguments = [compiled.params[name] for name in compiled.positiontup]
    # jsonb parameters are bound as JSON text by SQLAlchemy's processor; asyncpg sends them as text.
    arguments = [json.dumps(value) if isinstance(value, dict) else value for value in arguments]
    rows = await connection.fetch("EXPLAIN (FORMAT JSON) " + compiled.string, *arguments)
    return json.loads(rows[0][0])[0]["Plan"]


def index_conditions(plan: dict[str, Any], table: str) -> list[tuple[str, str]]:
    """(index name, index condition) of every index scan on ``table`` in the plan, unique indexes
    included (a bitmap index scan names only its index)."""
    return [
        (node["Index Name"], node.get("Index Cond", ""))
        for node in plan_nodes(plan)
        if node["Node Type"] in INDEX_SCANS
        and (
            node.get("Relation Name") == table
            or node["Index Name"].startswith((f"ix_{table}_", f"uq_{table}_"))
        )
    ]


def sequential_scans(plan: dict[str, Any]) -> list[str]:
    """The tables the plan reads whole."""
    return [node["Relation Name"] for node in plan_nodes(plan) if node["Node Type"] == "Seq Scan"]
