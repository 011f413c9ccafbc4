"""A real S3 endpoint on 127.0.0.1: moto's server mode (``ThreadedMotoServer``) on a free port.

Fixture ``s3_server`` (one server per test session and package that imports it); each test creates its
own bucket with :meth:`S3Server.new_bucket`, so tests never see each other's objects::

    from tests.support.s3 import s3_server  # noqa: F401

    def test_something(s3_server, database_url, tmp_path):
        settings = make_settings(database_url, tmp_path, **s3_server.settings(s3_server.new_bucket()))
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.support.server import free_port

ACCESS_KEY_ID = "fixdesk-test-access-key"
SECRET_ACCESS_KEY = "fixdesk-test-secret-key"
REGION = "us-east-1"


@dataclass
class S3Server:
    """A running moto S3 server and a boto3 client of its own, for creating buckets and reading back."""

    endpoint_url: str

    def client(self) -> Any:
        import boto3

        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY_ID,
            aws_secret_access_key=SECRET_ACCESS_KEY,
        )

    def new_bucket(self) -> str:
        """Create an empty bucket with a unique name and return the name."""
        name = f"fixdesk-test-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str) -> list[str]:
        """Every object key in ``bucket`` (raw, with any prefix), sorted."""
        client = self.client()
        keys: list[str] = []
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            keys.extend(item["Key"] for item in page.get("Contents", []))
        return sorted(keys)

    def settings(self, bucket: str, prefix: str = "") -> dict[str, Any]:
        """``Settings`` overrides that make Fixdesk store files in ``bucket`` of this server."""
        return {
            "storage_backend": "s3",
            "s3_bucket": bucket,
            "s3_prefix": prefix,
            "s3_endpoint_url": self.endpoint_url,
            "s3_region": REGION,
            "s3_access_key_id": ACCESS_KEY_ID,
            "s3_secret_access_key": SECRET_ACCESS_KEY,
        }


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """moto's S3 in server mode on a free port of 127.0.0.1, for the whole session."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield S3Server(f"http://127.0.0.1:{port}")
    finally:
        server.stop()
