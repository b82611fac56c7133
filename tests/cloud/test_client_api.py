"""The client's owner API: every page of /api/reels?mine=1, URLs kept on the endpoint, delete."""

from __future__ import annotations

import json

import pytest

from reeleditor.cloud.client import Offline, delete_reel, list_reels, on_endpoint
from reeleditor.core.errors import ReelEditorError
from tests.cloud.http_fixture import ControlledServer, Resource

HOSTILE = ("file:///etc/passwd", "smb://evil/share/x.mp4", "reelx:run", "http://evil.test/x.mp4")


@pytest.fixture
def server():
    s = ControlledServer()
    yield s
    s.close()


def page(reels, following=None) -> Resource:
    body = json.dumps({"reels": reels, "next": following}).encode()
    return Resource(body, {"Content-Type": "application/json", "Cache-Control": "no-store"})


def test_every_page_is_read_and_urls_are_joined_to_the_endpoint(server):
    endpoint = server.url + "/files/"
    server.resources["/api/reels?mine=1"] = page(
        [{"id": "a" * 32, "state": "ready", "mp4_url": "/media/a/1/reel.mp4", "web_url": "/#a"}],
        "/api/reels?limit=1&cursor=x&mine=1",
    )
    server.resources["/api/reels?limit=1&cursor=x&mine=1"] = page(
        [{"id": "b" * 32, "state": "failed", "reason": "not a video", "mp4_url": None}]
    )
    reels = list_reels(endpoint, "tok")
    assert [r["id"][0] for r in reels] == ["a", "b"]
    assert reels[0]["mp4_url"] == server.url + "/media/a/1/reel.mp4"
    assert reels[0]["web_url"] == server.url + "/#a"
    assert reels[1]["mp4_url"] is None and reels[1]["reason"] == "not a video"
    assert all(h[2]["Authorization"] == "Bearer tok" for h in server.requests)


def test_urls_off_the_endpoint_are_dropped():
    endpoint = "http://127.0.0.1:8765/files/"
    for url in HOSTILE:
        assert on_endpoint(url, endpoint) is None
    assert on_endpoint("/m/ok.mp4", endpoint) == "http://127.0.0.1:8765/m/ok.mp4"


def test_errors_are_one_line(server):
    endpoint = server.url + "/files/"
    with pytest.raises(ReelEditorError, match="not found"):
        delete_reel(endpoint, "tok", "c" * 32)  # this server has no such path: 404
    server.resources["/api/reels?mine=1"] = Resource(b"<html>", {})
    with pytest.raises(ReelEditorError, match="did not answer with a list"):
        list_reels(endpoint, None)
    server.close()
    with pytest.raises(Offline, match="cannot reach"):
        list_reels(endpoint, None)
