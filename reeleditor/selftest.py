"""`reeleditor --self-test`: the whole product run once through its real code paths.

Written for the frozen installer first: PyInstaller finds only the modules it can see, and
the app imports its heavy parts lazily, so a module missing from the bundle shows only
when a path reaches it. Each step below goes through the same commands and services a
user's click does (record, edit, export, upload, the embedded cloud, the media cache,
the main window), so a missing module, library or data file fails here, by name.

Machine output (one JSON object) is on stdout; progress and errors are on stderr. Exit 0
when every step passed, 1 otherwise.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

LOOK = "vivid"  # any bundled look: the step checks that the look tables load frozen
TAKE_SECONDS = 2.0
# small frames keep the self-test quick on 2 cores; the code paths are those of 1080x1920
WIDTH, HEIGHT = 360, 640
READY_TIMEOUT = 120.0  # seconds for the cloud to make the ladder, HLS and poster


class StepFailed(Exception):
    """A step's check did not hold: the message says what was expected."""


@dataclass
class SelfTest:
    home: Path
    main: Callable[[list[str]], int]  # cli.main, handed down (the command line is above us)
    facts: dict = field(default_factory=dict)

    def cli(self, *args: str) -> str:
        """Run a `reeleditor` command in this process, as typed; its stdout is returned."""
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = self.main(["--home", str(self.home), *args])
        if code != 0:
            raise StepFailed(f"'reeleditor {' '.join(args)}' exited {code}")
        return out.getvalue().strip()

    def record(self) -> str:
        draft_id = self.cli(
            "record",
            "--source",
            "testpattern",
            "--seconds",
            f"{TAKE_SECONDS:g}",
            "--filter",
            LOOK,
            "--width",
            str(WIDTH),
            "--height",
            str(HEIGHT),
        ).splitlines()[-1]
        shown = json.loads(self.cli("drafts", "show", draft_id, "--json"))
        seconds = sum(segment["duration"] for segment in shown["segments"])
        if abs(seconds - TAKE_SECONDS) > 0.2 or shown["look"]["name"] != LOOK:
            raise StepFailed(f"draft {draft_id} holds {seconds:.2f} s, look {shown['look']}")
        self.facts["draft"] = draft_id
        return f"draft {draft_id}: {seconds:.2f} s with the {LOOK!r} look"

    def export(self) -> str:
        from reeleditor.media.music import library
        from reeleditor.media.probe import probe

        track = library()[0].name  # a bundled track, mixed under the take's own sound
        draft_id = self.facts["draft"]
        self.cli("edit", draft_id, "--music", track)
        # a text overlay: the bundled faces, FreeType and raqm shaping (right-to-left too)
        self.cli(
            "text",
            "add",
            draft_id,
            "--text",
            "Self-test \u2713 \u0639\u0631\u0628\u064a",
            "--at",
            "0",
            "--for",
            f"{TAKE_SECONDS:g}",
        )
        out = self.home / "selftest.mp4"
        self.cli("export", draft_id, "-o", str(out))
        info = probe(out)
        if not info.has_audio or (info.width, info.height) != (WIDTH, HEIGHT):
            raise StepFailed(f"{out}: {info}")
        if abs(info.duration - TAKE_SECONDS) > 0.2:
            raise StepFailed(f"{out} lasts {info.duration:.2f} s, not {TAKE_SECONDS:g} s")
        self.facts["export"] = out
        return f"{out.name}: {info.duration:.2f} s, {info.video_codec} + {info.audio_codec}"

    def sound(self) -> str:
        """The music preview's player: PyAV decodes a bundled track, PortAudio plays it (or,
        with no output device, as here in CI, the silent clock stands in and says why)."""
        from reeleditor.media.music import library
        from reeleditor.media.sound_out import SoundOut

        out = SoundOut(library()[0].path, start=1.0)
        out.start()
        started = time.monotonic()
        while out.clock < 1.3 and not out.done.is_set() and time.monotonic() - started < 10:
            time.sleep(0.02)
        heard = out.clock
        if not out.close():
            raise StepFailed("the sound thread did not let go of the track within 5 s")
        if out.error:
            raise StepFailed(out.error)
        if heard < 1.3:
            raise StepFailed(f"the track's clock stood at {heard:.2f} s after 10 s")
        return f"played 0.3 s of {library()[0].path.name} ({out.notice or 'on the output device'})"

    def speech(self) -> str:
        """The captions' recogniser loads its model (a data folder inside pocketsphinx)."""
        import numpy as np

        from reeleditor.media.speech import RATE, PocketSphinxRecognizer

        recognizer = PocketSphinxRecognizer()
        words = recognizer.words(np.zeros(RATE, dtype=np.int16), RATE)
        return f"{recognizer.name}: model loaded, {len(words)} words in 1 s of silence"

    def publish(self) -> str:
        from reeleditor.cloud.server import serve_in_thread, wait_published

        # the embedded cloud, as the app's Publish starts it: in process, on a thread
        server = serve_in_thread("127.0.0.1", 0, self.home / "cloud")
        self.facts["server"] = server
        endpoint = f"{server.url}/files/"
        upload_url = self.cli("upload", str(self.facts["export"]), "--endpoint", endpoint)
        reel_id = upload_url.splitlines()[-1].rstrip("/").rsplit("/", 1)[-1]
        state = wait_published(server, reel_id, timeout=READY_TIMEOUT)
        if state != "published":
            raise StepFailed(f"reel {reel_id} is {state}")
        self.facts.update(endpoint=endpoint, reel=reel_id)
        return f"reel {reel_id} ready at {endpoint}"

    def poster(self) -> str:
        from reeleditor.cloud.client import Source, fetch_cached, list_reels
        from reeleditor.storage.media_cache import MediaCache
        from reeleditor.storage.paths import AppPaths

        reels = {r["id"]: r for r in list_reels(self.facts["endpoint"], None)}
        url = reels[self.facts["reel"]]["poster_url"]
        if not url:
            raise StepFailed(f"reel {self.facts['reel']} has no poster URL")
        cache = MediaCache(AppPaths.from_env(str(self.home)).ensure().media_cache)
        first = fetch_cached(url, cache)
        again = fetch_cached(url, cache)
        body = first.read_bytes()
        if not body.startswith(b"\xff\xd8"):
            raise StepFailed(f"{url} is not a JPEG ({body[:8]!r})")
        if again.how is not Source.FRESH or cache.get(url) is None:
            raise StepFailed(f"{url} was not served from the media cache the second time")
        return f"{len(body)} bytes, {first.how.value} then {again.how.value}"

    def window(self) -> str:
        from reeleditor.app import open_main_window_once
        from reeleditor.ui.qt_text import check_collation

        seconds = open_main_window_once(str(self.home))
        return f"shown and closed offscreen in {seconds:.2f} s; {check_collation()}"

    def close(self) -> None:
        server = self.facts.pop("server", None)
        if server is not None:
            server.close()


STEPS = ("record", "export", "sound", "speech", "publish", "poster", "window")


def run_self_test(main: Callable[[list[str]], int], home: str | None = None) -> int:
    """Every step in order, commands run through `main` (cli.main); a failed step stops
    the ones that build on it."""

    def say(text: str) -> None:
        print(f"reeleditor self-test: {text}", file=sys.stderr, flush=True)

    # the window step needs no display; set before anything creates a QApplication
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    with contextlib.ExitStack() as stack:
        if home is None:
            home = stack.enter_context(tempfile.TemporaryDirectory(prefix="reeleditor-selftest-"))
        test = SelfTest(Path(home), main)
        stack.callback(test.close)
        results, failed = [], None
        for name in STEPS:
            say(f"{name} ...")
            started = time.monotonic()
            try:
                detail = getattr(test, name)()
            except Exception as exc:  # reported by step name, with its traceback
                traceback.print_exc(file=sys.stderr)
                failed = name
                detail = f"{type(exc).__name__}: {exc}"
            seconds = round(time.monotonic() - started, 2)
            ok = failed is None
            results.append({"step": name, "ok": ok, "seconds": seconds, "detail": detail})
            say(f"{name} {'ok' if failed is None else 'FAILED'} ({seconds:.1f} s): {detail}")
            if failed:
                break
        summary = {"ok": failed is None, "frozen": bool(getattr(sys, "frozen", False))}
        summary["steps"] = results
        print(json.dumps(summary), flush=True)
    if failed:
        say(f"failed at step {failed!r}")
        return 1
    say("all steps passed")
    return 0
