"""The web player shows a reel's captions: a subtitles <track> of its WebVTT, showing."""

from __future__ import annotations

import pytest

from reeleditor.core.words import Cue
from reeleditor.media.vtt import write_vtt
from tests.web.browser import need_ffmpeg, open_phone, video, wait_playing
from tests.web.fixture_origin import PICTURES, FixtureOrigin, make_reel, reel_json

pytestmark = pytest.mark.slow

REEL = "d" * 32
CUES = [Cue(0.0, 2.5, "Hello there"), Cue(2.5, 5.0, "Second caption")]


@pytest.fixture(params=[False, True], ids=["soft", "burned"])
def origin(tmp_path, request):
    need_ffmpeg()
    folder = tmp_path / "media" / REEL / "d1g35t"
    make_reel(folder, PICTURES[0], mp4=True)
    (folder / "captions.vtt").write_text(write_vtt(CUES, "en-US"), encoding="utf-8")
    reel = reel_json(REEL, "Captioned", processing=False, published=1.0)
    reel["captions_url"] = f"/media/{REEL}/d1g35t/captions.vtt"
    reel["captions_burned"] = request.param
    server = FixtureOrigin(tmp_path / "media", [reel]).start()
    yield server
    server.close()


def test_the_player_shows_the_reels_captions(origin, tmp_path, request):
    # captions burned into the picture: the track is there but off (else shown twice)
    burned = request.node.callspec.params["origin"]
    with open_phone(tmp_path) as (page, watched):
        page.goto(origin.url + "/")
        wait_playing(page, REEL)
        tracks = f"{video(REEL)}.textTracks"
        if burned:  # off until the viewer turns it on; then it loads and shows
            page.wait_for_function(f"() => {tracks}.length === 1")
            assert page.evaluate(f"() => {tracks}[0].mode") == "disabled"
            page.evaluate(f"() => {{ {tracks}[0].mode = 'showing'; }}")
        page.wait_for_function(
            f"() => {tracks}.length === 1 && {tracks}[0].cues && {tracks}[0].cues.length === 2"
        )
        kind, mode, first = page.evaluate(
            f"() => [{tracks}[0].kind, {tracks}[0].mode, {tracks}[0].cues[0].text]"
        )
        assert (kind, mode, first) == ("subtitles", "showing", "Hello there")
    assert watched.errors == []
