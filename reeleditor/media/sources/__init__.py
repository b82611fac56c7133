"""Capture sources: camera, test pattern and video file behind one interface."""

from __future__ import annotations

from reeleditor.media.sources.base import CaptureSource, Frame

__all__ = ["CaptureSource", "Frame", "open_source", "parse_source_spec"]


def parse_source_spec(spec: str) -> tuple[str, str]:
    """'testpattern', 'camera:N', 'file:PATH' or 'auto' -> (kind, argument)."""
    from reeleditor.core.errors import SourceError

    kind, _, arg = spec.partition(":")
    if kind in ("testpattern", "auto") and not arg:
        return kind, ""
    if kind == "camera" and arg.isdigit():
        return kind, arg
    if kind == "file" and arg:
        return kind, arg
    raise SourceError(
        f"unknown source {spec!r}", "use testpattern, camera:N (e.g. camera:0) or file:PATH"
    )


def open_source(spec: str, width: int = 1080, height: int = 1920, fps: int = 30) -> CaptureSource:
    """Make (not start) the source a spec names; 'auto' is the first camera, else the pattern."""
    kind, arg = parse_source_spec(spec)
    if kind == "auto":
        from reeleditor.media.devices import list_cameras

        cameras = list_cameras()
        if cameras:
            kind, arg = "camera", str(cameras[0]["index"])
        else:
            kind = "testpattern"
            source = _make("testpattern", "", width, height, fps)
            source.notice = "no camera found: the test pattern stands in"
            return source
    return _make(kind, arg, width, height, fps)


def _make(kind: str, arg: str, width: int, height: int, fps: int) -> CaptureSource:
    if kind == "testpattern":
        from reeleditor.media.sources.testpattern import TestPatternSource

        return TestPatternSource(width, height, fps)
    if kind == "camera":
        from reeleditor.media.sources.camera import CameraSource

        return CameraSource(int(arg), width, height, fps)
    from reeleditor.media.sources.filesource import FileSource

    return FileSource(arg, width, height, fps)
