"""reeleditor: record, edit, export and publish short vertical videos from the desktop."""

__version__ = "0.1.0"
