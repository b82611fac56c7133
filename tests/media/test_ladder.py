"""The ladder planner: sizes for portrait, landscape, square, odd and tiny sources."""

import pytest

from reeleditor.media.ladder import LADDER_KBPS, plan_ladder


def sizes(width, height):
    return [(r.name, r.width, r.height) for r in plan_ladder(width, height)]


def test_vertical_1080_gets_the_full_ladder_smallest_first():
    assert sizes(1080, 1920) == [
        ("360p", 360, 640),
        ("480p", 480, 854),
        ("720p", 720, 1280),
        ("1080p", 1080, 1920),
    ]


def test_landscape_gets_its_own_sizes_named_by_the_short_side():
    assert sizes(1920, 1080) == [
        ("360p", 640, 360),
        ("480p", 854, 480),
        ("720p", 1280, 720),
        ("1080p", 1920, 1080),
    ]


def test_square_stays_square():
    assert sizes(1080, 1080) == [
        ("360p", 360, 360),
        ("480p", 480, 480),
        ("720p", 720, 720),
        ("1080p", 1080, 1080),
    ]


def test_larger_sources_stop_at_1080():
    assert sizes(2160, 3840)[-1] == ("1080p", 1080, 1920)


@pytest.mark.parametrize(
    ("width", "height", "expected"),
    [
        (1001, 1779, [("360p", 360, 640), ("480p", 480, 854), ("720p", 720, 1280)]),
        (500, 900, [("360p", 360, 648), ("480p", 480, 864)]),
        (900, 500, [("360p", 648, 360), ("480p", 864, 480)]),
        (479, 853, [("360p", 360, 642)]),
        (721, 1283, [("360p", 360, 640), ("480p", 480, 854), ("720p", 720, 1282)]),
    ],
)
def test_odd_sizes_round_to_even_and_keep_the_aspect(width, height, expected):
    assert sizes(width, height) == expected


@pytest.mark.parametrize(("width", "height"), [(1001, 1779), (500, 900), (333, 777), (1080, 1350)])
def test_no_rung_is_stretched(width, height):
    for rung in plan_ladder(width, height):
        assert rung.width % 2 == 0 and rung.height % 2 == 0
        # within one pixel of the source's aspect (rounding to even costs at most that)
        assert abs(rung.width * height / width - rung.height) <= 2
        assert rung.width <= width + 1 and rung.height <= height + 1


def test_a_tiny_source_gets_one_rung_at_its_own_even_size():
    assert sizes(201, 357) == [("200p", 200, 356)]
    assert sizes(160, 90) == [("90p", 160, 90)]
    (rung,) = plan_ladder(201, 357)
    assert 0 < rung.maxrate_kbps < LADDER_KBPS[360]


def test_bitrates_rise_with_size_and_buffers_hold_two_seconds():
    rungs = plan_ladder(1080, 1920)
    rates = [r.maxrate_kbps for r in rungs]
    assert rates == sorted(rates) and rates[-1] == LADDER_KBPS[1080]
    assert all(r.bufsize_kbps == 2 * r.maxrate_kbps for r in rungs)


def test_nonsense_sizes_are_refused():
    with pytest.raises(ValueError):
        plan_ladder(0, 1920)
