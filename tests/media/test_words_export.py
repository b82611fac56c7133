"""Texts and captions in the export and the preview: the same pixels, where expected."""

import threading
import time

import av
import numpy as np

from reeleditor.core.draft import Look, Segment
from reeleditor.core.words import Captions, Cue, TextOverlay, TextStyle
from reeleditor.media.preview import PreviewPipeline
from reeleditor.media.render import FrameShaper, export_draft
from reeleditor.media.sources.base import Frame
from tests.factories import drain
from tests.media.helpers import decode_video
from tests.media.transition_media import marked

W, H = 270, 480
RED = TextStyle(style="boxed", background="#ff0000", colour="#ffffff", size=120)


def _words_draft(store):
    draft = store.create("words", width=W, height=H)
    media = store.folder(draft.id) / "media"
    media.mkdir(exist_ok=True)
    marked(media / "take.mp4", W, H, 2.0)
    texts = (
        TextOverlay("Crème 🎉", 0.5, 1.5, look=RED, y=0.25, enter="pop", exit="fade"),
        TextOverlay("שלום", 0.0, 2.0, look=TextStyle(style="neon", colour="#00ff88"), y=0.5,
                    rotation=-12, enter="typewriter"),
    )  # fmt: skip
    captions = Captions(cues=(Cue(1.0, 2.0, "the caption\nin two lines"),))
    store.save(
        draft.with_changes(
            segments=(Segment("media/take.mp4", 2.0, "one"),),
            look=Look("warm", 80.0),
            texts=texts,
            captions=captions,
        )
    )
    return store.load(draft.id)


class _Held:
    def __init__(self, frame) -> None:
        self.frame = frame

    def wait_frame(self, after: int = -1, timeout: float = 1.0):
        return self.frame if self.frame.index > after else None

    def latest(self):
        return self.frame


def _preview(draft, image: np.ndarray, reel_index: int) -> np.ndarray:
    pipeline = PreviewPipeline(size=(draft.width, draft.height))
    pipeline.mirror = False
    pipeline.set_look(draft.look)
    pipeline.set_words(draft)
    pipeline.set_source(_Held(Frame(image.copy(), time.monotonic(), 0, reel_index=reel_index)))
    waited = threading.Event()
    pipeline.start()
    try:
        deadline = time.monotonic() + 10
        while pipeline.latest() is None and time.monotonic() < deadline:
            waited.wait(0.01)  # the pipeline has no signal here; it draws within ms
        return pipeline.latest()[1]
    finally:
        pipeline.stop()


def test_preview_and_export_draw_identical_text_pixels(store):
    """The export's picture (FrameShaper, before the encoder) and the preview's picture
    (PreviewPipeline at the export's size) of one decoded frame are equal, byte for byte,
    at times in and out of the animations (the only difference left is the encoder's)."""
    draft = _words_draft(store)
    rng = np.random.default_rng(3)
    image = rng.integers(0, 255, (H, W, 3), dtype=np.uint8)
    shaper = FrameShaper(draft)
    plain = FrameShaper(draft.with_changes(texts=(), captions=None))
    for index in (3, 16, 22, 33, 44, 50):  # typing, popping, settled, fading, captions
        decoded = shaper._to_bgr(av.VideoFrame.from_ndarray(image.copy(), format="bgr24"))
        exported = shaper.picture(index, decoded)
        shown = _preview(draft, image, index)
        assert np.array_equal(shown, exported), index
        assert not np.array_equal(exported, plain.picture(index, image.copy()))  # words on


def test_export_decodes_with_the_words_where_expected(store, tmp_path):
    draft = _words_draft(store)
    out = tmp_path / "words.mp4"
    drain(export_draft(store, draft, out))
    frames = decode_video(out)
    assert len(frames) == 60

    def red(img):  # the boxed text's red background at y = 0.25
        band = img[int(0.15 * H) : int(0.35 * H)].astype(int)
        return ((band[..., 2] > 180) & (band[..., 1] < 90) & (band[..., 0] < 90)).mean()

    def bright(img):  # white caption letters around captions.y = 0.78
        band = img[int(0.68 * H) : int(0.9 * H)].astype(int)
        return (band.min(axis=2) > 200).mean()

    assert red(frames[5]) < 0.001 and red(frames[30]) > 0.1  # 0.17 s: not yet; 1 s: on
    assert red(frames[55]) < 0.001
    assert bright(frames[15]) < 0.001 and bright(frames[45]) > 0.01
