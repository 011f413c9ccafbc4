"""The file providers name outbox files so they sort by the time they were written (issue 9, item 12):
``<UTC time, fixed width>-<id>``, whatever the ids. Sending happens at explicit instants (the providers'
clock), including a second, a day and a year boundary."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

from fixdesk.config import Settings
from fixdesk.db import utcnow
from fixdesk.integrations.email import EmailMessage, FileEmailProvider
from fixdesk.integrations.sms import FileSmsProvider, SmsMessage

# In the order they are sent: each id sorts before the previous one, so only the time can order them.
INSTANTS = [
    datetime.fromisoformat("2026-12-31T23:59:59.999999+00:00"),
    datetime.fromisoformat("2027-01-01T00:00:00+00:00"),
    datetime.fromisoformat("2027-01-01T00:00:00.000001+00:00"),
    # 09:30 in Tokyo is 00:30 UTC: names are always in UTC.
    datetime.fromisoformat("2027-01-01T09:30:00+09:00"),
]
IDS = ["zulu", "yankee", "x-ray", "whiskey"]
NAME = re.compile(r"^\d{8}T\d{6}\.\d{6}Z-")


def clock_of(instants: list[datetime]) -> Callable[[], datetime]:
    remaining: Iterator[datetime] = iter(instants)
    return lambda: next(remaining)


def sms(reference: str) -> SmsMessage:
    return SmsMessage(to="+351912345678", body=f"Message {reference}", reference=reference)


def email_message(identifier: str) -> EmailMessage:
    return EmailMessage(
        to="ana.silva@example.com",
        subject=f"Message {identifier}",
        text="Hello",
        message_id=f"<{identifier}@fixdesk.example>",
    )


async def test_emails_sort_by_the_time_they_were_written(tmp_path):
    settings = Settings(env="test", data_dir=tmp_path)
    provider = FileEmailProvider(settings.outbox_dir, settings.email_from, clock=clock_of(INSTANTS))

    written = [await provider.send(email_message(identifier)) for identifier in IDS]

    listed = sorted(path.name for path in settings.outbox_dir.glob("*.eml"))
    assert listed == written
    assert written == [
        "20261231T235959.999999Z-zulufixdesk.example.eml",
        "20270101T000000.000000Z-yankeefixdesk.example.eml",
        "20270101T000000.000001Z-x-rayfixdesk.example.eml",
        "20270101T003000.000000Z-whiskeyfixdesk.example.eml",
    ]


async def test_text_messages_sort_by_the_time_they_were_written(tmp_path):
    settings = Settings(env="test", data_dir=tmp_path)
    provider = FileSmsProvider(settings.outbox_dir, clock=clock_of(INSTANTS))

    for reference in IDS:
        await provider.send(sms(reference))

    listed = sorted((settings.outbox_dir / "sms").glob("*.json"))
    assert [json.loads(path.read_text())["reference"] for path in listed] == IDS
    assert listed[0].name == "20261231T235959.999999Z-zulu.json"


async def test_the_name_carries_the_current_utc_time_by_default(tmp_path):
    settings = Settings(env="test", data_dir=tmp_path)
    before = utcnow()

    name = await FileEmailProvider(settings.outbox_dir, settings.email_from).send(email_message("now"))
    await FileSmsProvider(settings.outbox_dir).send(sms("../../escape"))

    after = utcnow()
    assert NAME.match(name), name
    stamped = datetime.strptime(name[:23], "%Y%m%dT%H%M%S.%fZ").replace(tzinfo=before.tzinfo)
    assert before - timedelta(microseconds=1) <= stamped <= after
    [text] = (settings.outbox_dir / "sms").iterdir()
    # The reference cannot lead the file out of the outbox.
    assert NAME.match(text.name), text.name
    assert text.name.endswith("Z-....escape.json"), text.name
