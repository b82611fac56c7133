"""The gallery thumbnail of an imported clip or photo is the reel's picture, not the file's."""

import cv2
import numpy as np
import pytest

from reeleditor.media.clips import import_media, read_photo, shape_picture
from reeleditor.media.thumbnails import THUMB_SIZE, refresh_thumbnail
from tests.factories import drain
from tests.media.clip_media import halves, write_clip, write_photo


def _thumb_of(store, tmp_path, path, cover_time=None) -> np.ndarray:
    draft = store.create("thumb")
    segment, _ = drain(import_media(store, draft.id, path, fit="blur"))
    store.save(draft.with_changes(segments=(segment,), cover_time=cover_time))
    thumb = refresh_thumbnail(store, store.load(draft.id))
    return cv2.imread(str(thumb))


@pytest.mark.parametrize("cover_time", [None, 0.5])
def test_a_landscape_clip_thumbnail_is_blur_filled(store, tmp_path, cover_time):
    thumb = _thumb_of(store, tmp_path, write_clip(tmp_path / "land.mp4"), cover_time)
    frame = 0 if cover_time is None else 15
    reel = shape_picture(halves(320, 180, frame), "blur", 1080, 1920)
    expected = cv2.resize(reel, THUMB_SIZE, interpolation=cv2.INTER_AREA)
    assert thumb.shape[:2] == (THUMB_SIZE[1], THUMB_SIZE[0])
    assert np.abs(thumb.astype(int) - expected).mean() < 6
    # the file's own picture, stretched to the thumbnail, is far from it
    raw = cv2.resize(halves(320, 180, frame), THUMB_SIZE, interpolation=cv2.INTER_AREA)
    assert np.abs(thumb.astype(int) - raw).mean() > 20


def test_a_photo_thumbnail_is_fitted_to_the_reel(store, tmp_path):
    photo = write_photo(tmp_path / "p.jpg")
    thumb = _thumb_of(store, tmp_path, photo)
    reel = shape_picture(read_photo(photo), "blur", 1080, 1920)
    expected = cv2.resize(reel, THUMB_SIZE, interpolation=cv2.INTER_AREA)
    assert np.abs(thumb.astype(int) - expected).mean() < 8


def test_the_thumbnail_has_the_texts_and_burned_captions_at_the_cover_time(store, tmp_path):
    """As the export's poster: the words showing at the cover are drawn on the thumbnail."""
    from reeleditor.core.words import Captions, Cue, TextOverlay, TextStyle

    photo = write_photo(tmp_path / "p.jpg")
    draft = store.create("thumb")
    segment, _ = drain(import_media(store, draft.id, photo, fit="blur"))
    bare = draft.with_changes(segments=(segment,), cover_time=0.5)
    look = TextStyle(style="boxed", size=120.0, background="#ff00ff")
    worded = bare.with_changes(
        texts=(TextOverlay(text="COVER", start=0.0, end=1.0, look=look),),
        captions=Captions(cues=(Cue(0.0, 1.0, "said at the cover"),)),
    )
    later = bare.with_changes(  # words that start after the cover are not on it
        texts=(TextOverlay(text="LATER", start=1.0, end=2.0, look=look),)
    )
    thumbs = []
    for d in (bare, worded, later):
        store.save(d)
        thumbs.append(cv2.imread(str(refresh_thumbnail(store, store.load(d.id)))).astype(int))
    assert np.abs(thumbs[1] - thumbs[0]).mean() > 3  # the words are there
    assert np.abs(thumbs[2] - thumbs[0]).mean() < 1  # none at the cover time
    caption_row = int(0.78 * THUMB_SIZE[1])  # the burned caption, low down
    assert np.abs(thumbs[1][caption_row] - thumbs[0][caption_row]).mean() > 10
