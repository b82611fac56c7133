"""Fixtures of the cloud tests: the cloud in either shape (embedded, scale-out)."""

import itertools

import pytest

from tests.cloud.ingest_support import shape  # noqa: F401 (fixture)
from tests.cloud.services import (  # noqa: F401 (fixtures)
    bucket_url,
    fresh_schema,
    postgres_url,
    redis_url,
    s3_endpoint,
)

_redis_db = itertools.cycle(range(1, 16))  # a database per test: no message of another test


@pytest.fixture
def scale_out_urls(postgres_url, redis_url, s3_endpoint):  # noqa: F811
    """storage, catalog and queue URLs: a new bucket, schema and Redis database."""
    queue = redis_url.rsplit("/", 1)[0] + f"/{next(_redis_db)}"
    return bucket_url(s3_endpoint), fresh_schema(postgres_url), queue
