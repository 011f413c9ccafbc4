from tests.factories import make_customer, make_repair, make_user, walk


async def test_repair_walk(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    repair = await make_repair(client, admin, customer.id)
    assert repair["repairNumber"].startswith("R-")
    done = await walk(
        client, admin, repair["id"], "diagnosing", "quoted", "approved", "repairing", "testing", "completed"
    )
    assert done["status"] == "completed"
    assert done["actualCompletion"] is not None
    response = await client.get(f"/api/v1/repairs/{repair['id']}", headers=admin.headers)
    assert response.status_code == 200
    assert len(response.json()["statusHistory"]) == 7
