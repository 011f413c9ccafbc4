"""Attachments in the customer portal (issue 5, item 6; seed 000's ``attachments: { where: { isPublic:
true } }``): a customer sees and downloads only the public attachments of their own repairs, and
everything else answers 404 without telling private from missing."""

from __future__ import annotations

import uuid

from tests.factories import make_customer, make_repair
from tests.repairs.attachments import files
from tests.repairs.attachments.conftest import upload

PORTAL = "/api/v1/customer/repairs"


async def test_the_portal_lists_only_public_attachments_newest_first(client, bench):
    before = (
        await upload(client, bench.admin, bench.repair_id, files.jpeg(), file_name="in.jpg", isPublic=True)
    ).json()
    await upload(client, bench.admin, bench.repair_id, files.png(), file_name="internal-notes.png")
    after = (
        await upload(
            client,
            bench.admin,
            bench.repair_id,
            files.png(),
            file_name="out.png",
            kind="after",
            isPublic=True,
        )
    ).json()

    response = await client.get(f"{PORTAL}/{bench.repair_id}/attachments", headers=bench.customer.headers)
    only_after = await client.get(
        f"{PORTAL}/{bench.repair_id}/attachments?kind=after", headers=bench.customer.headers
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert [item["fileName"] for item in body["items"]] == ["out.png", "in.jpg"]
    assert body["total"] == 2
    item = body["items"][0]
    assert item["id"] == after["id"]
    assert item["downloadUrl"] == f"{PORTAL}/{bench.repair_id}/attachments/{after['id']}/download"
    # The portal's view leaves out who on the staff uploaded it.
    assert "uploadedById" not in item
    assert [i["id"] for i in only_after.json()["items"]] == [after["id"]]
    assert before["id"] in {i["id"] for i in body["items"]}


async def test_the_customer_downloads_a_public_attachment(client, bench):
    uploaded = (
        await upload(
            client,
            bench.admin,
            bench.repair_id,
            files.pdf(),
            file_name="invoice.pdf",
            kind="document",
            isPublic=True,
        )
    ).json()

    response = await client.get(
        f"{PORTAL}/{bench.repair_id}/attachments/{uploaded['id']}/download", headers=bench.customer.headers
    )

    assert response.status_code == 200
    assert response.content == files.pdf()
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["etag"] == f'"{uploaded["sha256"]}"'


async def test_a_private_attachment_is_404_in_the_portal_like_a_missing_one(client, bench):
    private = (await upload(client, bench.admin, bench.repair_id, files.png())).json()
    missing_id = uuid.uuid4()

    private_download = await client.get(
        f"{PORTAL}/{bench.repair_id}/attachments/{private['id']}/download", headers=bench.customer.headers
    )
    missing_download = await client.get(
        f"{PORTAL}/{bench.repair_id}/attachments/{missing_id}/download", headers=bench.customer.headers
    )

    assert private_download.status_code == missing_download.status_code == 404
    # The same answer, apart from the id in the message: nothing tells a private photo from no photo.
    assert private_download.json()["detail"].replace(private["id"], "X") == missing_download.json()[
        "detail"
    ].replace(str(missing_id), "X")


async def test_a_public_attachment_turned_private_disappears_from_the_portal(client, bench):
    uploaded = (await upload(client, bench.admin, bench.repair_id, files.png(), isPublic=True)).json()
    download = f"{PORTAL}/{bench.repair_id}/attachments/{uploaded['id']}/download"
    assert (await client.get(download, headers=bench.customer.headers)).status_code == 200

    await client.patch(
        f"/api/v1/repairs/{bench.repair_id}/attachments/{uploaded['id']}",
        json={"isPublic": False},
        headers=bench.admin.headers,
    )

    assert (await client.get(download, headers=bench.customer.headers)).status_code == 404
    listed = await client.get(f"{PORTAL}/{bench.repair_id}/attachments", headers=bench.customer.headers)
    assert listed.json()["items"] == []


async def test_another_customers_repair_is_404_even_for_public_attachments(client, app, sessionmaker, bench):
    public = (await upload(client, bench.admin, bench.repair_id, files.png(), isPublic=True)).json()
    stranger = await make_customer(app, sessionmaker, first_name="Eve")
    strangers_repair = await make_repair(client, bench.admin, stranger.id)

    listed = await client.get(f"{PORTAL}/{bench.repair_id}/attachments", headers=stranger.headers)
    downloaded = await client.get(
        f"{PORTAL}/{bench.repair_id}/attachments/{public['id']}/download", headers=stranger.headers
    )
    # The attachment id under the stranger's own repair: still not theirs.
    through_own_repair = await client.get(
        f"{PORTAL}/{strangers_repair['id']}/attachments/{public['id']}/download", headers=stranger.headers
    )
    unknown_repair = await client.get(f"{PORTAL}/{uuid.uuid4()}/attachments", headers=stranger.headers)

    assert [r.status_code for r in (listed, downloaded, through_own_repair, unknown_repair)] == [
        404,
        404,
        404,
        404,
    ]
    assert listed.json()["detail"].replace(bench.repair_id, "X") == unknown_repair.json()["detail"].replace(
        unknown_repair.url.path.split("/")[5], "X"
    )
    own = await client.get(f"{PORTAL}/{strangers_repair['id']}/attachments", headers=stranger.headers)
    assert own.status_code == 200
    assert own.json()["items"] == []


async def test_staff_cannot_use_the_portal_endpoints(client, bench):
    uploaded = (await upload(client, bench.admin, bench.repair_id, files.png(), isPublic=True)).json()

    listed = await client.get(f"{PORTAL}/{bench.repair_id}/attachments", headers=bench.admin.headers)
    downloaded = await client.get(
        f"{PORTAL}/{bench.repair_id}/attachments/{uploaded['id']}/download", headers=bench.admin.headers
    )

    assert listed.status_code == downloaded.status_code == 403
