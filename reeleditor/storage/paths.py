"""Where the app keeps its files: platformdirs, or everything under REELEDITOR_HOME."""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass
from pathlib import Path

from reeleditor.core.errors import StorageError

APP_NAME = "reeleditor"
HOME_ENV = "REELEDITOR_HOME"


@dataclass(frozen=True)
class AppPaths:
    """The app's folders; `ensure()` creates them or says clearly why it cannot."""

    data: Path
    cache: Path
    config: Path
    logs: Path  # the rotating log and the crash file a user can send

    @classmethod
    def from_env(cls, home: str | os.PathLike | None = None) -> AppPaths:
        home = home or os.environ.get(HOME_ENV)
        if home:
            root = Path(home).expanduser().absolute()
            return cls(data=root, cache=root / "cache", config=root / "config", logs=root / "logs")
        import platformdirs

        return cls(
            data=Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
            cache=Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)),
            config=Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
            logs=Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)),
        )

    @property
    def drafts(self) -> Path:
        return self.data / "drafts"

    @property
    def uploads(self) -> Path:
        return self.data / "uploads"

    @property
    def runs(self) -> Path:
        return self.data / "run"

    @property
    def media_cache(self) -> Path:
        return self.cache / "media"

    @property
    def settings_file(self) -> Path:
        return self.config / "settings.json"

    @property
    def folders(self) -> tuple[Path, ...]:
        """Every folder the app writes to."""
        return (self.drafts, self.uploads, self.runs, self.cache, self.config, self.logs)

    def problems(self) -> list[tuple[Path, str]]:
        """(folder, reason) for each folder that cannot be created or written; never raises."""
        found = []
        for folder in self.folders:
            try:
                folder.mkdir(parents=True, exist_ok=True)
                probe = folder / f".write-test-{os.getpid()}"
                probe.write_bytes(b"")
                probe.unlink()
            except OSError as exc:
                found.append((folder, _reason(exc)))
        return found

    def ensure(self) -> AppPaths:
        for folder, reason in self.problems()[:1]:
            raise StorageError(
                f"cannot write to {folder}: {reason}", f"set {HOME_ENV} to a writable folder"
            )
        return self


def _reason(exc: OSError) -> str:
    if exc.errno == errno.EROFS:
        return "the folder is on a read-only disk"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "the folder is read-only for this user"
    return exc.strerror or str(exc)


def resources_dir() -> Path:
    """Bundled resources (music, icons): beside the package, or inside a frozen build."""
    import sys

    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    return Path(__file__).resolve().parent.parent.parent / "resources"
