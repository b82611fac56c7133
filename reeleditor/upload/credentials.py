"""The endpoint URL and its bearer token: flag, environment, settings; OS keyring or a 0600 file."""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from reeleditor.core.errors import StorageError
from reeleditor.storage.atomic import fsync_dir
from reeleditor.upload.tus import check_endpoint

ENDPOINT_ENV = "REELEDITOR_ENDPOINT"
TOKEN_ENV = "REELEDITOR_TOKEN"
log = logging.getLogger(__name__)  # never give it a token: origins only
KEYRING_SERVICE = "reeleditor"
TOKEN_FILE = "tokens.json"


def resolve_endpoint(
    flag: str | None, settings_endpoint: str, env: Mapping[str, str] = os.environ
) -> str:
    """The endpoint to use: the --endpoint flag, else $REELEDITOR_ENDPOINT, else the settings."""
    return check_endpoint(flag or env.get(ENDPOINT_ENV) or settings_endpoint)


def origin(endpoint: str) -> str:
    """Tokens are kept per server (scheme://host:port), not per path."""
    parts = urlsplit(endpoint)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme, 0)
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{port}"


def _usable_keyring():
    """The keyring module if it has a real backend here, else None (then a 0600 file is used)."""
    try:
        import keyring
        from keyring.backends import fail
    except ImportError:
        return None
    try:
        backend = keyring.get_keyring()
    except Exception:  # a broken keyring configuration must not stop an upload
        log.warning("the OS keyring is not usable; tokens go to a private file", exc_info=True)
        return None
    if isinstance(backend, fail.Keyring) or getattr(backend, "priority", 1) <= 0:
        return None
    if getattr(backend, "backends", None) == []:  # a chainer with nothing to chain
        return None
    return keyring


class TokenStore:
    """Stores one token per server origin, in the OS keyring when there is one."""

    def __init__(self, config_dir: Path, use_keyring: bool = True) -> None:
        self.file = Path(config_dir) / TOKEN_FILE
        self._keyring = _usable_keyring() if use_keyring else None

    @property
    def backend(self) -> str:
        return "keyring" if self._keyring else f"file {self.file}"

    def get(self, endpoint: str) -> str | None:
        key = origin(endpoint)
        if self._keyring:
            try:
                value = self._keyring.get_password(KEYRING_SERVICE, key)
                if value:
                    return value
            except Exception:  # a locked keyring: the private file may still have one
                log.warning("could not read the keyring for %s", key, exc_info=True)
        return self._read_file().get(key)

    def set(self, endpoint: str, token: str) -> str:
        """Store the token; returns where it went ('keyring' or the file)."""
        key = origin(endpoint)
        if self._keyring:
            try:
                self._keyring.set_password(KEYRING_SERVICE, key, token)
                self._drop_from_file(key)
                return "keyring"
            except Exception:  # locked or broken keyring: fall back to the private file
                log.warning("could not store in the keyring for %s", key, exc_info=True)
        tokens = self._read_file()
        tokens[key] = token
        self._write_file(tokens)
        return str(self.file)

    def delete(self, endpoint: str) -> None:
        key = origin(endpoint)
        if self._keyring:
            try:
                self._keyring.delete_password(KEYRING_SERVICE, key)
            except Exception:  # nothing stored there, or a locked keyring
                log.info("no token deleted from the keyring for %s", key, exc_info=True)
        self._drop_from_file(key)

    # -- the 0600 file -------------------------------------------------------------------
    def _read_file(self) -> dict[str, str]:
        try:
            data = json.loads(self.file.read_bytes())
        except (OSError, ValueError):
            return {}
        return (
            {k: v for k, v in data.items() if isinstance(v, str)} if isinstance(data, dict) else {}
        )

    def _drop_from_file(self, key: str) -> None:
        tokens = self._read_file()
        if tokens.pop(key, None) is not None:
            self._write_file(tokens)

    def _write_file(self, tokens: dict[str, str]) -> None:
        """Atomic like storage.atomic, but the temp file is 0600 from its first byte."""
        self.file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.file.with_name(f".{self.file.name}.{os.getpid()}.tmp")
        try:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                os.write(fd, json.dumps(tokens).encode())
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, self.file)
            if os.name != "nt":
                os.chmod(self.file, 0o600)
            fsync_dir(self.file.parent)
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise StorageError(f"could not write {self.file}: {exc.strerror or exc}") from exc


def resolve_token(
    store: TokenStore, endpoint: str, flag: str | None = None, env: Mapping[str, str] = os.environ
) -> str | None:
    """The token for `endpoint`: a flag's value, else $REELEDITOR_TOKEN, else the stored one."""
    return flag or env.get(TOKEN_ENV) or store.get(endpoint)
