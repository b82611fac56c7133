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
