"""The error hierarchy: every error a user can see says what happened and what to do."""

from __future__ import annotations


class ReelEditorError(Exception):
    """Base of all expected errors; `str()` is one line fit for a user."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class Cancelled(ReelEditorError):
    """Long work was cancelled by the user; nothing partial was kept."""

    def __init__(self, message: str = "cancelled") -> None:
        super().__init__(message)


class StorageError(ReelEditorError):
    """A folder or file of the app could not be read or written."""


class DraftError(ReelEditorError):
    """Base of draft-store errors."""


class DraftNotFound(DraftError):
    """No draft with that id."""


class DraftFormatError(DraftError):
    """draft.json is corrupt, of the wrong shape, or from a newer schema."""


class DraftLockedError(DraftError):
    """Another reeleditor process is editing this draft."""


class BundleError(ReelEditorError):
    """A .reeldraft bundle is damaged, tampered with or unsafe."""


class MediaError(ReelEditorError):
    """Capture, decode, encode or mux failed."""


class SourceError(MediaError):
    """A capture source could not be opened or stopped delivering."""


class EncoderError(MediaError):
    """No usable encoder for the requested format."""


class UploadError(ReelEditorError):
    """An upload failed in a way a retry will not fix."""
