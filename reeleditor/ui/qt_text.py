"""Qt's locale-aware text sorting (ICU), checked by the self-test: installers cut ICU down."""

from __future__ import annotations

import functools

from reeleditor.core.errors import ReelEditorError

# Case and accents sort beside their letters in English; a plain code-point order
# (what Qt falls back to when ICU's collation data is missing) puts 'Z' before 'a'.
WORDS = ("b", "A", "é", "a", "Z", "e", "f")
ENGLISH_ORDER = ["a", "A", "b", "e", "é", "f", "Z"]


def check_collation() -> str:
    """Sorts a few words the way Qt's file dialogs do; raises when ICU's data is missing."""
    from PySide6.QtCore import QCollator, QLocale

    collator = QCollator(QLocale(QLocale.English, QLocale.UnitedStates))
    order = sorted(WORDS, key=functools.cmp_to_key(collator.compare))
    if order != ENGLISH_ORDER:
        raise ReelEditorError(
            f"Qt sorts text as {order}, not {ENGLISH_ORDER}: its ICU collation data is missing"
        )
    return "ICU collation sorts English"
