"""``/ready`` answers while a writer holds SQLite's write lock: the probe only reads, so it does not queue
behind a long write (an import, a migration) for the busy timeout and then report the database as down."""

from __future__ import annotations


async def test_ready_answers_while_a_writer_holds_the_write_lock(client, database):
    # The test's own transaction is that writer: on SQLite it began with BEGIN IMMEDIATE (db.py), so it
    # holds the write lock until the test ends.
    assert database.connection is not None
    response = await client.get("/ready")

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "ready"
