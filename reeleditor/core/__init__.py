"""Plain data and pure functions: the draft model, edits, progress, errors. No I/O, no Qt."""
