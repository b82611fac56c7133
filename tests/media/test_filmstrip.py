"""Filmstrip thumbnails: as many as asked, 9:16 at the lane's height, cached, from the proxy."""

from reeleditor.media.filmstrip import filmstrip, strip_times
from reeleditor.media.proxies import build_proxies
from tests.factories import drain
from tests.media.speed_media import draft_with_marks


def test_thumbnails_along_a_segment_are_cached_and_come_from_the_proxy_once_built(store):
    draft = draft_with_marks(store)
    seg = draft.segments[0]
    assert strip_times(seg, 4) == [0.25, 0.75, 1.25, 1.75]
    thumbs = filmstrip(store, draft, seg, 4)
    assert len(thumbs) == 4 and all(t.shape == (48, 29, 3) for t in thumbs)
    again = filmstrip(store, draft, seg, 4)
    assert all(a is b for a, b in zip(thumbs, again, strict=True))  # cached, not decoded
    drain(build_proxies(store, draft))
    proxied = filmstrip(store, draft, seg, 4)
    assert all(p is not t for p, t in zip(proxied, thumbs, strict=True))  # the proxy's
    # the marked clip flashes white for 3 frames every 0.5 s; a keyframe every 10 pictures
    # puts the thumbnails near their times, so they are not all the first picture
    assert len({p.tobytes() for p in proxied}) > 1
