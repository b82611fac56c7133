"""Debian's headless Chromium driven by Playwright, on a phone-sized touch viewport.

Playwright's own browser builds cannot be downloaded here (nor need to be): it drives the
apt package at /usr/bin/chromium. Where that or Playwright is missing the tests skip with
the reason, and fail in CI (CI set), where .ci/run installs both.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

PHONE = {"width": 390, "height": 844}  # an iPhone 12-15 sized viewport, in CSS pixels
FLAGS = [
    "--headless",
    "--no-sandbox",  # root in a container: Chromium's sandbox needs user namespaces
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    found = os.environ.get("REELEDITOR_CHROMIUM") or shutil.which("chromium")
    found = found or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if not found:
        _missing("chromium is not installed (apt-get install chromium)")
    return found


def need_ffmpeg() -> None:
    """The fixtures are made by the ffmpeg CLI (apt), as the benchmarks' baseline is."""
    if not shutil.which("ffmpeg"):
        _missing("ffmpeg is not installed (apt-get install ffmpeg)")


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: CI must run the web player's tests")
    pytest.skip(reason)


@dataclass
class Watched:
    """What the page said and asked for while a test ran."""

    errors: list[str] = field(default_factory=list)  # console errors and uncaught exceptions
    requests: list[tuple[float, str]] = field(default_factory=list)  # (monotonic, path)

    def requested(self, part: str) -> float | None:
        """When a request whose URL contains `part` was first made, or None."""
        return next((t for t, url in self.requests if part in url), None)


def open_phone(tmp_path: Path):
    """A context manager: (page, watched) in a fresh profile; the browser closes after."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed (pip install -r requirements/test.lock)")
    executable = chromium_path()

    class Phone:
        def __enter__(self):
            self.pw = sync_playwright().start()
            try:
                self.context = self.pw.chromium.launch_persistent_context(
                    str(tmp_path / "chromium-profile"),  # a fresh --user-data-dir
                    executable_path=executable,
                    args=FLAGS,
                    headless=True,
                    viewport=PHONE,
                    device_scale_factor=1,
                    is_mobile=True,
                    has_touch=True,
                    timeout=30_000,
                )
            except Exception:
                self.pw.stop()
                raise
            self.context.set_default_timeout(20_000)
            page = self.context.pages[0] if self.context.pages else self.context.new_page()
            watched = Watched()
            page.on(
                "console",
                lambda m: (
                    watched.errors.append(f"console: {m.text}") if m.type == "error" else None
                ),
            )
            page.on("pageerror", lambda exc: watched.errors.append(f"pageerror: {exc}"))
            page.on("request", lambda r: watched.requests.append((time.monotonic(), r.url)))
            return page, watched

        def __exit__(self, *exc):
            try:
                self.context.close()
            finally:
                self.pw.stop()

    return Phone()


def swipe_up(page, distance: int = 600, steps: int = 12) -> None:
    """A finger moving up the screen (the next reel): touch events through Chromium's own
    input pipeline (CDP), so the page scrolls and snaps as it would on a phone.

    Past half the screen, so the snap lands on the next reel even when a loaded machine
    delivers the moves too late to count as a fling."""
    cdp = page.context.new_cdp_session(page)
    x, y = PHONE["width"] // 2, PHONE["height"] * 7 // 8
    try:
        cdp.send(
            "Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]}
        )
        for step in range(1, steps + 1):
            point = {"x": x, "y": y - distance * step // steps}
            cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
            time.sleep(0.016)  # a finger moves over frames, not at once
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    finally:
        cdp.detach()


def video(reel_id: str) -> str:
    return f"document.querySelector('.reel[data-id=\"{reel_id}\"] video')"


STATE = """() => ({
    scrollTop: document.getElementById('feed').scrollTop,
    reels: [...document.querySelectorAll('.reel')].map(s => {
        const v = s.querySelector('video');
        return {id: s.dataset.id, current: s.getAttribute('aria-current'), ready: v.readyState,
                paused: v.paused, time: v.currentTime, error: s.querySelector('.reel-error')
                .textContent};
    })})"""


def wait_playing(page, reel_id: str, timeout: float = 20_000) -> None:
    """Its frames decode (readyState >= 2) and its clock moves while on screen."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    start = page.evaluate(f"() => {video(reel_id)}?.currentTime ?? -1")
    try:
        page.wait_for_function(
            f"""(start) => {{
                const v = {video(reel_id)};
                return v && v.readyState >= 2 && !v.paused && v.currentTime > start + 0.3
                    && v.closest('.reel').getAttribute('aria-current') === 'true';
            }}""",
            arg=start,
            timeout=timeout,
        )
    except PlaywrightTimeout:
        state = page.evaluate(STATE)
        raise AssertionError(f"reel {reel_id} did not play from {start}: {state}") from None


def paused(page, reel_id: str) -> bool:
    return page.evaluate(f"() => {video(reel_id)}.paused")
