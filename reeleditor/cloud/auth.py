"""Who a request speaks for: a bearer token mapped to an account, or the server's one token.

Uploads and the owner's API need a token when the catalog has accounts or the server was
given one (`--token-env`); otherwise (the app's bundled cloud on loopback) the server is
open and every reel belongs to the empty owner "". A header that is not ASCII, not
"Bearer <token>", or an unknown token is refused (401), never an error of the server.
"""

from __future__ import annotations

import asyncio
import hmac
import re

from aiohttp import web

from reeleditor.cloud.contracts import Catalog

SINGLE_OWNER = ""  # the owner of reels on a server without accounts (open, or one token)
_BEARER = re.compile(r"^Bearer ([\x21-\x7e]{1,1024})$")  # visible ASCII, no spaces


class Denied(Exception):
    """No usable token: answer 401."""


class Auth:
    def __init__(self, catalog: Catalog, token: str | None = None) -> None:
        self.catalog = catalog
        self.token = token or None
        self._accounts = False  # once true, true for good (accounts are not removed)

    @property
    def required(self) -> bool:
        """Whether requests need a token (as last checked; see `owner`)."""
        return bool(self.token) or self._accounts

    async def _has_accounts(self) -> bool:
        # asked again until the first account appears (`cloud add-user` runs elsewhere)
        if not self._accounts:
            self._accounts = await asyncio.to_thread(self.catalog.has_accounts)
        return self._accounts

    async def owner(self, request: web.Request) -> str:
        """The account id the request speaks for ("" on an open or one-token server)."""
        if not self.token and not await self._has_accounts():
            return SINGLE_OWNER
        header = request.headers.get("Authorization", "")
        match = _BEARER.match(header) if header.isascii() else None
        if match is None:
            raise Denied("a bearer token is required (Authorization: Bearer <token>)")
        given = match.group(1)
        if self.token and hmac.compare_digest(given.encode(), self.token.encode()):
            return SINGLE_OWNER
        account = await asyncio.to_thread(self.catalog.account_for_token, given)
        if account is None:
            raise Denied("this token is not known here")
        return account.id
