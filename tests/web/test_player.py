"""The web player in a real headless Chromium: poster, first frame, playback, swipe, keys.

Screenshots go to the test's tmp folder; with REELEDITOR_UPDATE_SCREENSHOTS=1 they are
copied to docs/player-feed.png and docs/player-swipe.png (committed, for the README).
"""

from __future__ import annotations

import os
import shutil

import pytest

from tests.conftest import REPO
from tests.web.browser import need_ffmpeg, open_phone, paused, swipe_up, video, wait_playing
from tests.web.fixture_origin import PICTURES, FixtureOrigin, make_reel, reel_json

pytestmark = pytest.mark.slow

IDS = ("a" * 32, "b" * 32, "c" * 32)
TITLES = ("First reel", "Second reel", "Third reel (processing)")


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    need_ffmpeg()
    root = tmp_path_factory.mktemp("media")
    for i, reel_id in enumerate(IDS):
        make_reel(root / reel_id / "d1g35t", PICTURES[i], mp4=i < 2)
    return root


def feed(*, processing_last: bool = True) -> list[dict]:
    return [
        reel_json(reel_id, TITLES[i], processing=processing_last and i == 2, published=100.0 - i)
        for i, reel_id in enumerate(IDS)
    ]


@pytest.fixture
def origin(media):
    server = FixtureOrigin(media, feed(), page_cap=2).start()  # 2 a page: `next` is followed
    yield server
    server.close()


def screenshot(page, tmp_path, name: str) -> None:
    # once the snap has settled: the reel on screen fills it exactly
    page.wait_for_function(
        """() => {
            const reel = document.querySelector('.reel[aria-current]');
            return reel && Math.abs(reel.getBoundingClientRect().top) < 1;
        }"""
    )
    shot = tmp_path / name
    page.screenshot(path=str(shot))
    if os.environ.get("REELEDITOR_UPDATE_SCREENSHOTS"):
        shutil.copy(shot, REPO / "docs" / name)


def test_the_feed_plays_swipes_and_answers_keys(origin, tmp_path):
    first, second, third = IDS
    with open_phone(tmp_path) as (page, watched):
        page.goto(origin.url + "/")

        # the poster first, then the first frame, then a clock that moves
        page.wait_for_selector(f'.reel[data-id="{first}"] video[poster]', state="attached")
        poster = page.evaluate(f"() => {video(first)}.poster")
        assert poster.endswith(f"/media/{first}/d1g35t/poster.webp")
        wait_playing(page, first)
        assert page.evaluate(f"() => {video(first)}.muted")  # autoplay is muted
        poster_at = watched.requested(f"{first}/d1g35t/poster.webp")
        segment_at = watched.requested(f"{first}/d1g35t/360p/seg_00000.m4s")
        assert poster_at is not None and segment_at is not None and poster_at < segment_at
        screenshot(page, tmp_path, "player-feed.png")

        # the next reel's first segment is fetched while the first one plays
        page.wait_for_function(
            "(part) => performance.getEntriesByType('resource').some(e => e.name.includes(part))",
            arg=f"{second}/d1g35t/360p/seg_00000.m4s",
        )
        assert watched.requested(f"{third}/d1g35t/360p/") is None  # only the next one

        # a swipe up starts the second reel and pauses the first
        swipe_up(page)
        wait_playing(page, second)
        assert paused(page, first)
        assert page.evaluate("() => location.hash") == f"#{second}"
        screenshot(page, tmp_path, "player-swipe.png")

        # ArrowDown: the third reel, from the feed's second page, processing: its preview
        page.keyboard.press("ArrowDown")
        wait_playing(page, third)
        assert paused(page, second)
        badge = page.locator(f'.reel[data-id="{third}"] .reel-badge')
        assert badge.is_visible()

        # k goes back; space pauses and plays; m unmutes (a key press is a user gesture)
        page.keyboard.press("k")
        wait_playing(page, second)
        page.keyboard.press("Space")
        page.wait_for_function(f"() => {video(second)}.paused")
        page.keyboard.press("Space")
        wait_playing(page, second)
        page.keyboard.press("m")
        page.wait_for_function(f"() => !{video(second)}.muted")
        sound = page.locator(f'.reel[data-id="{second}"] .reel-sound')
        assert sound.get_attribute("aria-label") == "Mute"

    assert watched.errors == []


def test_deep_link_a_broken_reel_and_an_empty_feed(media, tmp_path):
    first, second, third = IDS
    reels = feed()
    reels[0] = {**reels[0], "hls_url": f"/media/{first}/gone/master.m3u8", "mp4_url": None}
    broken = FixtureOrigin(media, reels, page_cap=2).start()
    empty = FixtureOrigin(media, []).start()
    try:
        with open_phone(tmp_path) as (page, watched):
            # /#<id> of a reel past the first page: fetched by id and shown first
            page.goto(f"{broken.url}/#{third}")
            wait_playing(page, third)

            # a reel that cannot load says so in place; the feed goes on past it
            page.keyboard.press("ArrowDown")
            broken_reel = page.locator(f'.reel[data-id="{first}"]')
            page.wait_for_function(
                f"() => document.querySelector('.reel[aria-current]').dataset.id === '{first}'"
            )
            error = broken_reel.locator(".reel-error")
            error.wait_for(state="visible")
            assert "can’t be played" in error.inner_text()
            page.keyboard.press("ArrowDown")
            wait_playing(page, second)

            page.goto(empty.url + "/")
            status = page.locator("#status-text")
            status.wait_for(state="visible")
            assert "No reels yet" in status.inner_text()
    finally:
        broken.close()
        empty.close()
    # the broken reel's 404s are the browser's own log lines; nothing else may be there
    assert [e for e in watched.errors if "404 (Not Found)" not in e] == []
