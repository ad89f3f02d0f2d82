"""Fixtures that run a real local S3 server (SeaweedFS ``weed mini``).

Bind the fixtures in a test module (not conftest; keep them opt-in)::

    from tests import s3_fixtures

    s3_server = s3_fixtures.s3_server
    s3_store = s3_fixtures.s3_store

and mark the tests ``@pytest.mark.s3``. One server per module; it is stopped
at module teardown, so no ``weed`` process outlives the tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from flows.local_s3 import S3Endpoint, ensure_local_s3, stop_local_s3
from pipeline.archive.storage import MinioStore, make_http_client

TEST_BUCKET = "sohoa-test"


@dataclass(frozen=True)
class LocalS3:
    """A running test server: its home directory and endpoint."""

    home: Path
    endpoint: S3Endpoint


def make_store(endpoint: S3Endpoint, bucket: str = TEST_BUCKET) -> MinioStore:
    """Return a store with short timeouts and no urllib3 retries (tests must not hang)."""
    return MinioStore(
        endpoint.endpoint,
        endpoint.access_key,
        endpoint.secret_key,
        bucket,
        http_client=make_http_client(connect_timeout=1.0, read_timeout=10.0, retries=0),
    )


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalS3]:
    """Start a local S3 server in a fresh home for the module; stop it afterwards."""
    home = tmp_path_factory.mktemp("s3home")
    endpoint = ensure_local_s3(home)
    try:
        yield LocalS3(home=home, endpoint=endpoint)
    finally:
        stop_local_s3(home)


@pytest.fixture(scope="module")
def s3_store(s3_server: LocalS3) -> MinioStore:
    """A :class:`MinioStore` on a versioned test bucket of the module's server."""
    store = make_store(s3_server.endpoint)
    store.ensure_bucket(versioning=True)
    return store
