"""Listing and downloading repair attachments as staff (issue 5, item 6): newest first with a kind filter,
the exact bytes with safe headers, revalidation by ETag, and 404 for what does not exist."""

from __future__ import annotations

import hashlib
import uuid
from urllib.parse import unquote

from fixdesk.db import transaction
from fixdesk.repairs.models import RepairAttachment
from tests.factories import make_repair
from tests.repairs.attachments import files
from tests.repairs.attachments.conftest import attachment_rows, sha256, stored_files, upload


async def test_the_list_is_newest_first_filters_by_kind_and_pages(client, bench):
    uploaded = []
    for index, kind in enumerate(["before", "before", "after", "document", "after"]):
        response = await upload(
            client,
            bench.admin,
            bench.repair_id,
            files.png(rgb=(index, 0, 0)),
            file_name=f"{index}.png",
            kind=kind,
        )
        assert response.status_code == 201
        uploaded.append(response.json())
    other_repair = await make_repair(client, bench.admin, bench.customer.id)
    await upload(client, bench.admin, other_repair["id"], files.png(), file_name="elsewhere.png")

    everything = await client.get(
        f"/api/v1/repairs/{bench.repair_id}/attachments", headers=bench.technician.headers
    )
    afters = await client.get(
        f"/api/v1/repairs/{bench.repair_id}/attachments?kind=after", headers=bench.agent.headers
    )
    second_page = await client.get(
        f"/api/v1/repairs/{bench.repair_id}/attachments?pageSize=2&page=2", headers=bench.admin.headers
    )

    assert everything.status_code == 200
    body = everything.json()
    assert [item["fileName"] for item in body["items"]] == ["4.png", "3.png", "2.png", "1.png", "0.png"]
    assert body["total"] == 5
    assert body["items"][0] == uploaded[4]
    assert [item["fileName"] for item in afters.json()["items"]] == ["4.png", "2.png"]
    assert afters.json()["total"] == 2
    assert [item["fileName"] for item in second_page.json()["items"]] == ["2.png", "1.png"]
    assert second_page.json()["totalPages"] == 3


async def test_a_bad_kind_filter_and_an_unknown_repair_are_refused(client, bench):
    bad_kind = await client.get(
        f"/api/v1/repairs/{bench.repair_id}/attachments?kind=x", headers=bench.admin.headers
    )
    unknown = await client.get(f"/api/v1/repairs/{uuid.uuid4()}/attachments", headers=bench.admin.headers)

    assert bad_kind.status_code == 400
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "NOT_FOUND"


async def test_the_list_costs_the_same_statements_for_one_attachment_or_many(
    client, bench, statement_counter
):
    counts = {}
    for total, new in ((1, 1), (6, 5)):
        for _ in range(new):
            await upload(client, bench.admin, bench.repair_id, files.png())
        statement_counter.reset()
        response = await client.get(
            f"/api/v1/repairs/{bench.repair_id}/attachments", headers=bench.admin.headers
        )
        counts[total] = statement_counter.count
        assert len(response.json()["items"]) == total
    assert counts[6] == counts[1], statement_counter.statements


async def test_download_streams_the_exact_bytes_with_safe_headers(client, bench):
    content = files.pdf("Board-level repair report")
    uploaded = (
        await upload(
            client, bench.admin, bench.repair_id, content, file_name="rapport réparé.pdf", kind="document"
        )
    ).json()

    response = await client.get(uploaded["downloadUrl"], headers=bench.technician.headers)

    assert response.status_code == 200
    assert response.content == content
    assert hashlib.sha256(response.content).hexdigest() == uploaded["sha256"]
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-length"] == str(len(content))
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["etag"] == f'"{sha256(content)}"'
    assert response.headers["cache-control"] == "private, no-cache"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment; ")
    # RFC 6266: an ASCII fallback and the exact UTF-8 name, percent-encoded.
    assert 'filename="rapport r_par_.pdf"' in disposition
    encoded = disposition.split("filename*=UTF-8''", 1)[1]
    assert unquote(encoded) == "rapport réparé.pdf"
    assert " " not in encoded


async def test_a_renamed_file_downloads_with_its_real_type(client, bench):
    uploaded = (await upload(client, bench.admin, bench.repair_id, files.png(), file_name="photo.pdf")).json()

    response = await client.get(uploaded["downloadUrl"], headers=bench.admin.headers)

    assert response.headers["content-type"] == "image/png"
    assert "filename*=UTF-8''photo.png" in response.headers["content-disposition"]
    assert response.content == files.png()


async def test_if_none_match_with_the_current_etag_answers_304(client, bench):
    uploaded = (await upload(client, bench.admin, bench.repair_id, files.jpeg(), file_name="a.jpg")).json()
    url = uploaded["downloadUrl"]
    etag = (await client.get(url, headers=bench.admin.headers)).headers["etag"]

    unchanged = await client.get(url, headers={**bench.admin.headers, "If-None-Match": etag})
    weak_in_a_list = await client.get(
        url, headers={**bench.admin.headers, "If-None-Match": f'"something-else", W/{etag}'}
    )
    stale = await client.get(url, headers={**bench.admin.headers, "If-None-Match": '"an-old-version"'})

    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert unchanged.headers["etag"] == etag
    assert weak_in_a_list.status_code == 304
    assert stale.status_code == 200
    assert stale.content == files.jpeg()


async def test_download_of_an_unknown_or_misplaced_attachment_is_404(client, bench):
    uploaded = (await upload(client, bench.admin, bench.repair_id, files.png())).json()
    other_repair = await make_repair(client, bench.admin, bench.customer.id)

    unknown = await client.get(
        f"/api/v1/repairs/{bench.repair_id}/attachments/{uuid.uuid4()}/download", headers=bench.admin.headers
    )
    wrong_repair = await client.get(
        f"/api/v1/repairs/{other_repair['id']}/attachments/{uploaded['id']}/download",
        headers=bench.admin.headers,
    )
    unknown_repair = await client.get(
        f"/api/v1/repairs/{uuid.uuid4()}/attachments/{uploaded['id']}/download", headers=bench.admin.headers
    )

    assert [r.status_code for r in (unknown, wrong_repair, unknown_repair)] == [404, 404, 404]
    assert all(r.headers["content-type"] == "application/problem+json" for r in (unknown, wrong_repair))


async def test_bytes_missing_from_storage_answer_404_not_a_broken_stream(
    client, sessionmaker, settings, bench
):
    uploaded = (await upload(client, bench.admin, bench.repair_id, files.png())).json()
    [row] = await attachment_rows(sessionmaker)
    (settings.data_dir / "files" / row.storage_key).unlink()

    response = await client.get(uploaded["downloadUrl"], headers=bench.admin.headers)

    assert response.status_code == 404
    assert "no longer in storage" in response.json()["detail"]


async def test_a_customer_and_anonymous_callers_cannot_use_the_staff_download(client, bench):
    uploaded = (await upload(client, bench.admin, bench.repair_id, files.png(), isPublic=True)).json()

    as_customer = await client.get(uploaded["downloadUrl"], headers=bench.customer.headers)
    anonymous = await client.get(uploaded["downloadUrl"])
    listed_by_customer = await client.get(
        f"/api/v1/repairs/{bench.repair_id}/attachments", headers=bench.customer.headers
    )

    assert as_customer.status_code == 403
    assert anonymous.status_code == 401
    assert listed_by_customer.status_code == 403


async def test_stored_bytes_live_under_the_generated_key(client, sessionmaker, settings, bench):
    content = files.webp()
    await upload(client, bench.admin, bench.repair_id, content, file_name="../../escape.webp")

    [row] = await attachment_rows(sessionmaker)
    assert stored_files(settings) == {row.storage_key: content}
    # Only the owner may read a stored photo on disk.
    assert ((settings.data_dir / "files" / row.storage_key).stat().st_mode & 0o077) == 0
    async with transaction(sessionmaker) as session:
        assert (await session.get(RepairAttachment, row.id)).sha256 == sha256(content)
