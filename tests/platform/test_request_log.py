"""The request log never carries the secret of a public tracking link."""

from __future__ import annotations

from tests.factories import make_customer, make_repair, make_user


async def test_tracking_tokens_are_masked_in_the_request_log(client, app, sessionmaker, json_log):
    staff = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    repair = await make_repair(client, staff, customer.id)
    token = repair["trackingUrl"].rsplit("/", 1)[1]

    page = await client.get(f"/track/{token}")
    api = await client.get(f"/api/v1/track/{token}")
    unknown = await client.get("/api/v1/track/not-a-real-token")
    other = await client.get(f"/api/v1/repairs/{repair['id']}", headers=staff.headers)

    assert (page.status_code, api.status_code, unknown.status_code, other.status_code) == (200, 200, 404, 200)
    requests = [entry for entry in json_log() if entry.get("event") == "request"]
    logged_paths = [entry["path"] for entry in requests]
    assert "/track/***" in logged_paths
    assert logged_paths.count("/api/v1/track/***") == 2
    assert all(token not in line for line in map(str, json_log()))
    # Other paths are logged as they are.
    assert f"/api/v1/repairs/{repair['id']}" in logged_paths
