"""Local storage: app folders, atomic writes, drafts, settings, crash recovery. No Qt."""
