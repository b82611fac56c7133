"""Media: capture sources, looks, recording, music, render and export. PyAV + OpenCV; no Qt."""
