"""Fixtures of the cloud tests: the cloud in either shape (embedded, scale-out)."""

from tests.cloud.ingest_support import shape  # noqa: F401 (fixture)
