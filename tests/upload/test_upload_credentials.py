"""Endpoint and token resolution; the token's storage in a keyring or a private file."""

from __future__ import annotations

import os
import stat

import pytest

from reeleditor.upload import credentials
from reeleditor.upload.credentials import (
    TokenStore,
    origin,
    resolve_endpoint,
    resolve_token,
)
from reeleditor.upload.credentials import _usable_keyring as real_usable_keyring
from reeleditor.upload.errors import InvalidEndpoint


def test_endpoint_precedence_flag_env_settings():
    env = {"REELEDITOR_ENDPOINT": "http://env:1/files/"}
    assert resolve_endpoint("http://flag:1/f/", "http://set:1/f/", env) == "http://flag:1/f/"
    assert resolve_endpoint(None, "http://set:1/f/", env) == "http://env:1/files/"
    assert resolve_endpoint(None, "http://set:1/f/", {}) == "http://set:1/f/"
    with pytest.raises(InvalidEndpoint):
        resolve_endpoint("localhost:8765", "http://set:1/f/", {})


def test_tokens_are_kept_per_server_origin():
    assert origin("http://Host/a/") == origin("http://host:80/b/") == "http://host:80"
    assert origin("https://host/") != origin("http://host/")


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
def test_without_a_keyring_the_token_goes_to_a_file_only_the_user_reads(tmp_path):
    store = TokenStore(tmp_path / "config")
    assert store.backend.startswith("file")
    where = store.set("http://h:1/files/", "tok-1")
    assert where == str(tmp_path / "config" / "tokens.json")
    mode = stat.S_IMODE(os.stat(where).st_mode)
    assert mode == 0o600
    assert TokenStore(tmp_path / "config").get("http://h:1/other/") == "tok-1"
    assert resolve_token(store, "http://h:1/", env={}) == "tok-1"
    assert resolve_token(store, "http://h:1/", env={"REELEDITOR_TOKEN": "env"}) == "env"
    assert resolve_token(store, "http://h:1/", "flag", env={"REELEDITOR_TOKEN": "e"}) == "flag"
    store.delete("http://h:1/")
    assert store.get("http://h:1/") is None


class MemoryKeyring:
    def __init__(self):
        self.values = {}

    def get_password(self, service, user):
        return self.values.get((service, user))

    def set_password(self, service, user, value):
        self.values[(service, user)] = value

    def delete_password(self, service, user):
        self.values.pop((service, user), None)


def test_with_a_keyring_the_token_goes_there_not_to_a_file(tmp_path, monkeypatch):
    ring = MemoryKeyring()
    monkeypatch.setattr(credentials, "_usable_keyring", lambda: ring)
    store = TokenStore(tmp_path / "config")
    assert store.set("http://h:1/files/", "tok-2") == "keyring"
    assert ring.values == {("reeleditor", "http://h:1"): "tok-2"}
    assert not (tmp_path / "config" / "tokens.json").exists()
    assert store.get("http://h:1/files/") == "tok-2"


def test_keyring_detection_rejects_the_fail_backend(monkeypatch):
    keyring = pytest.importorskip("keyring")
    from keyring.backends import fail

    monkeypatch.setattr(keyring, "get_keyring", lambda: fail.Keyring())
    assert real_usable_keyring() is None  # (the autouse fixture stubs the module's copy)
    ring = MemoryKeyring()
    ring.priority = 5
    monkeypatch.setattr(keyring, "get_keyring", lambda: ring)
    assert real_usable_keyring() is keyring
