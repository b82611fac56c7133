"""Accounts from the command line: `reeleditor cloud add-user NAME` calls `add_user`."""

from __future__ import annotations

from reeleditor.core.errors import ReelEditorError


def add_user(catalog_url: str, name: str) -> str:
    """Create an account named `name` in the catalog at `catalog_url`; its token, shown once
    (the catalog keeps only its sha256)."""
    from reeleditor.cloud.urls import open_catalog

    name = name.strip()
    if not name or len(name) > 200 or not name.isprintable():
        raise ReelEditorError(f"bad account name {name!r}", "use 1-200 printable characters")
    catalog = open_catalog(catalog_url)
    try:
        _account, token = catalog.add_account(name)
    finally:
        catalog.close()
    return token
