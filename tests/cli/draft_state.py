"""What the CLI tests read back from a draft: its store, and draft.json + history together."""

from reeleditor.storage.drafts import DraftStore
from reeleditor.storage.paths import AppPaths


def store() -> DraftStore:
    return DraftStore(AppPaths.from_env().drafts)


def unchanged(draft_id: str):
    """draft.json's bytes and the history's file names: equal before and after = untouched."""
    folder = store().folder(draft_id)
    return (folder / "draft.json").read_bytes(), sorted(
        p.name for p in (folder / "history").iterdir()
    )
