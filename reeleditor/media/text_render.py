"""Words to pixels: one text (or caption) rasterised to a premultiplied BGR tile + alpha.

Pillow (FreeType, with raqm = HarfBuzz + FriBiDi for shaping) draws the glyph masks; numpy
and cv2 make the five styles from them. Chosen over skia-python because Pillow is already
a dependency of every platform wheel set we ship, its wheels bundle raqm, and it draws
Noto Color Emoji's bitmaps (embedded_color) - skia's wheel is ~60 MB more for the same.
The preview and the export call this one function, so the same state gives the same pixels.

Not handled (said in resources/fonts/README.md): mixed-direction reordering across runs of
different faces beyond "the paragraph's direction reverses the runs", vertical text, and
emoji sequences outside the ranges in fonts.py.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, ImageDraw

from reeleditor.core.words import TextStyle
from reeleditor.media import fonts

LINE_HEIGHT = 1.3  # of the font size
EMOJI_EM = 0.95  # an emoji's drawn size, in ems of the text around it
_lock = threading.Lock()  # FreeType faces are shared; drawing with one is not thread-safe


@dataclass(frozen=True, eq=False)  # hashed by identity: `transformed` caches per base tile
class Tile:
    """A rasterised text: BGR premultiplied by alpha, alpha, and 255 - alpha on 3 channels
    (kept so compositing is two cv2 calls). Its centre is the text block's centre."""

    premul: np.ndarray
    alpha: np.ndarray
    inv: np.ndarray

    @property
    def size(self) -> tuple[int, int]:
        return self.alpha.shape[1], self.alpha.shape[0]


def hex_bgr(colour: str) -> np.ndarray:
    v = colour.lstrip("#")
    return np.array([int(v[4:6], 16), int(v[2:4], 16), int(v[0:2], 16)], np.float32)


def make_tile(premul: np.ndarray, alpha: np.ndarray) -> Tile:
    inv = cv2.merge([255 - alpha] * 3)
    return Tile(premul, alpha, inv)


def _measure(file: str, text: str, px: int) -> float:
    if file == fonts.EMOJI:
        return fonts.emoji_font().getlength(text) * px * EMOJI_EM / fonts.EMOJI_PX
    return fonts.font(file, px).getlength(text)


def _wrap(line: str, face: str, px: int, width: int, max_lines: int) -> list[str]:
    """Greedy word wrap at `width` pixels, at most `max_lines` lines (more would be off the
    frame); a word longer than the width is cut where it stops fitting (binary search, so a
    2,000-character word is ~11 measures a line, not 2,000)."""

    def fits(s: str) -> bool:
        return sum(_measure(f, t, px) for f, t in fonts.runs(s, face)) <= width

    if fits(line):
        return [line]
    out: list[str] = []
    cur = ""
    for word in line.split(" "):
        if len(out) >= max_lines:
            break
        trial = f"{cur} {word}" if cur else word
        if fits(trial):
            cur = trial
            continue
        if cur:
            out.append(cur)
        while word and not fits(word) and len(out) < max_lines:
            lo, hi = 1, len(word)  # the longest prefix that fits (at least one character)
            while lo < hi:
                mid = (lo + hi + 1) // 2
                lo, hi = (mid, hi) if fits(word[:mid]) else (lo, mid - 1)
            out.append(word[:lo])
            word = word[lo:]
        cur = word
    if cur and len(out) < max_lines:
        out.append(cur)
    return out[:max_lines]


def _disk(radius: float) -> np.ndarray:
    r = max(1, round(radius))
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))


def _over(dst_p, dst_a, src_p, src_a) -> None:
    """Premultiplied 'over', in place on float32 layers."""
    keep = 1.0 - src_a
    dst_p *= keep[..., None]
    dst_p += src_p
    dst_a *= keep
    dst_a += src_a


def tile_bytes(tile: Tile) -> int:
    return tile.premul.nbytes + tile.alpha.nbytes + tile.inv.nbytes


class TileCache:
    """The least recently used tiles, up to `max_bytes` in all. Bounded by bytes, not by
    count: a tile may be up to twice the frame's height (~25 MB for a 1080 px wide reel),
    so 64 of them could hold 1.6 GB."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self._items: OrderedDict = OrderedDict()
        self._guard = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key) -> Tile | None:
        with self._guard:
            item = self._items.get(key)
            if item is None:
                return None
            self._items.move_to_end(key)
            return item[0]

    def put(self, key, tile: Tile, held: int = 0) -> None:
        """Keep `tile`; `held` counts bytes its key keeps alive too (a base tile)."""
        size = tile_bytes(tile) + held
        if size > self.max_bytes:
            return  # used once and dropped: it would evict everything else
        with self._guard:
            old = self._items.pop(key, None)
            if old is not None:
                self.bytes -= old[1]
            self._items[key] = (tile, size)
            self.bytes += size
            while self.bytes > self.max_bytes:
                _, (_, dropped) = self._items.popitem(last=False)
                self.bytes -= dropped

    def clear(self) -> None:
        with self._guard:
            self._items.clear()
            self.bytes = 0


_tiles = TileCache(256 << 20)  # settled texts and captions: drawn again every frame
# A typewriter's part-typed states each show for a frame or two and, in an export, never
# again: they get a small cache of their own (the frames of one state, a few texts typing
# at once) and cannot push the settled tiles out.
_typing = TileCache(32 << 20)
_transformed = TileCache(128 << 20)


def raster(
    words: str, look: TextStyle, px: int, wrap: int, max_height: int, reveal: int = -1
) -> Tile:
    """The text at `px` pixels, wrapped at `wrap` pixels, at most `max_height` tall, with
    only its first `reveal` characters drawn (-1: all), positioned as if all were."""
    key = (words, look, px, wrap, max_height, reveal)
    cache = _tiles if reveal < 0 else _typing
    tile = cache.get(key)
    if tile is None:
        with _lock:
            tile = _raster(words, look, max(4, px), max(px, wrap), max_height, reveal)
        cache.put(key, tile)
    return tile


def _raster(words: str, look: TextStyle, px: int, wrap: int, max_height: int, reveal: int):
    lh = round(px * LINE_HEIGHT)
    max_lines = max(1, max_height // lh)  # more would be drawn off the frame anyway
    lines: list[str] = []
    for para in words.split("\n"):
        lines.extend(_wrap(para, look.font, px, wrap, max_lines - len(lines)))
        if len(lines) >= max_lines:
            break
    lines = lines[:max_lines] or [""]
    laid = []  # per line: [(file, text, width)] in visual order, line width
    for line in lines:
        parts = [(f, t, _measure(f, t, px)) for f, t in fonts.runs(line, look.font)]
        laid.append((parts, fonts.paragraph_rtl(line), sum(w for _, _, w in parts)))
    block_w = max((w for *_, w in laid), default=0.0)
    boxed = look.style == "boxed" or look.background is not None
    box_pad = round(px * 0.3) if boxed else 0
    pad = round(px * 0.45) + box_pad
    width, height = int(block_w) + 2 * pad + 2, lh * len(laid) + 2 * pad
    mask = Image.new("L", (width, height))
    draw = ImageDraw.Draw(mask)
    emoji = np.zeros((height, width, 4), np.float32)  # premultiplied BGR + alpha
    boxes = []
    budget = len(words) if reveal < 0 else reveal
    ascent = fonts.font(fonts.FACES["sans"], px).getmetrics()[0]
    for row, (parts, rtl, line_w) in enumerate(laid):
        free = block_w - line_w
        x0 = pad + {"left": 0.0, "center": free / 2, "right": free}[look.align]
        top = pad + row * lh
        boxes.append(
            (x0 - box_pad, top - box_pad * 0.4, x0 + line_w + box_pad, top + lh + box_pad * 0.4)
        )
        base = top + (lh - px) / 2 + ascent * 0.95
        order = list(reversed(parts)) if rtl else parts
        xs, x = {}, x0
        for i, (_, _, w) in enumerate(order):
            xs[i] = x
            x += w
        logical = list(range(len(order) - 1, -1, -1)) if rtl else list(range(len(order)))
        for i in logical:  # reveal counts characters in reading order
            file, text, w = order[i]
            shown = text[: max(0, budget)]
            budget -= len(text)
            if not shown:
                continue
            if file == fonts.EMOJI:
                _draw_emoji(emoji, shown, xs[i], top, px, lh)
                continue
            face = fonts.font(file, px)
            x = xs[i]
            if shown != text and fonts.paragraph_rtl(text):  # a partly typed RTL run ends right
                x += w - face.getlength(shown)
            draw.text((x, base), shown, font=face, fill=255, anchor="ls")
    m = np.asarray(mask, np.float32) / 255.0
    return _style(m, emoji, look, px, boxes, width, height)


def _draw_emoji(layer: np.ndarray, text: str, x: float, top: float, px: int, lh: int) -> None:
    ef = fonts.emoji_font()
    _, _, r, b = ef.getbbox(text)
    if r <= 0 or b <= 0:
        return
    im = Image.new("RGBA", (r, b))
    ImageDraw.Draw(im).text((0, 0), text, font=ef, embedded_color=True)
    k = px * EMOJI_EM / fonts.EMOJI_PX
    w, h = max(1, round(r * k)), max(1, round(b * k))
    rgba = cv2.resize(np.asarray(im), (w, h), interpolation=cv2.INTER_AREA).astype(np.float32)
    x0, y0 = round(x), round(top + (lh - h) / 2)
    x1, y1 = min(layer.shape[1], x0 + w), min(layer.shape[0], y0 + h)
    if x1 <= x0 or y1 <= y0:
        return
    sub = rgba[: y1 - y0, : x1 - x0] / 255.0
    a = sub[..., 3]
    bgr = sub[..., 2::-1] * a[..., None]  # Pillow's colours are straight; tiles premultiply
    dst = layer[y0:y1, x0:x1]
    dst[..., :3] = bgr + dst[..., :3] * (1 - a[..., None])
    dst[..., 3] = a + dst[..., 3] * (1 - a)


def _style(m, emoji, look: TextStyle, px: int, boxes, width: int, height: int) -> Tile:
    colour = hex_bgr(look.colour) / 255.0
    out_p = np.zeros((height, width, 3), np.float32)
    out_a = np.zeros((height, width), np.float32)
    ink = np.maximum(m, emoji[..., 3])
    if look.style == "boxed" or look.background is not None:
        bg = hex_bgr(look.background or "#000000") / 255.0
        strength = 1.0 if look.background is not None else 0.6
        box = np.zeros((height, width), np.uint8)
        radius = max(2, round(px * 0.25))
        for x0, y0, x1, y1 in boxes:
            _rounded(box, round(x0), round(y0), round(x1), round(y1), radius)
        a = box.astype(np.float32) / 255.0 * strength
        _over(out_p, out_a, a[..., None] * bg, a)
    if look.style in ("classic", "typewriter"):
        # classic: a soft drop shadow; typewriter: a hard inked one, as a struck key leaves
        shift = max(1, round(px * 0.04))
        if look.style == "classic":
            shade = cv2.GaussianBlur(ink, (0, 0), max(0.8, px * 0.05)) * 0.55
        else:
            shade = ink * 0.8
        a = np.zeros_like(shade)
        a[shift:, shift:] = shade[:-shift, :-shift]
        _over(out_p, out_a, np.zeros_like(out_p), a)
    fill = colour
    if look.style == "outline":
        light = float(colour @ np.array([0.114, 0.587, 0.299], np.float32)) > 0.5
        edge = np.zeros(3, np.float32) if light else np.ones(3, np.float32)
        a = cv2.dilate(ink, _disk(px * 0.07))
        _over(out_p, out_a, a[..., None] * edge, a)
    elif look.style == "neon":
        thick = cv2.dilate(m, _disk(px * 0.05))
        glow = np.clip(cv2.GaussianBlur(thick, (0, 0), max(1.0, px * 0.16)) * 1.8, 0, 1)
        _over(out_p, out_a, glow[..., None] * colour, glow)
        fill = colour * 0.35 + 0.65  # a light core, as a lit tube looks
    _over(out_p, out_a, m[..., None] * fill, m)
    _over(out_p, out_a, emoji[..., :3], emoji[..., 3])
    premul = np.clip(out_p * 255.0 + 0.5, 0, 255).astype(np.uint8)
    alpha = np.clip(out_a * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return make_tile(premul, alpha)


def _rounded(img: np.ndarray, x0: int, y0: int, x1: int, y1: int, r: int) -> None:
    r = max(1, min(r, (x1 - x0) // 2, (y1 - y0) // 2))
    cv2.rectangle(img, (x0 + r, y0), (x1 - r, y1), 255, -1, cv2.LINE_AA)
    cv2.rectangle(img, (x0, y0 + r), (x1, y1 - r), 255, -1, cv2.LINE_AA)
    for cx, cy in ((x0 + r, y0 + r), (x1 - r, y0 + r), (x0 + r, y1 - r), (x1 - r, y1 - r)):
        cv2.circle(img, (cx, cy), r, 255, -1, cv2.LINE_AA)


def transformed(base: Tile, scale: float, rotation: float, opacity: float) -> Tile:
    """`base` scaled about its centre, turned `rotation` degrees clockwise, faded (cached
    by bytes too: a turned text is redrawn every frame it shows)."""
    if scale == 1.0 and rotation == 0.0 and opacity >= 1.0:
        return base
    key = (base, scale, rotation, opacity)  # Tile hashes by identity
    tile = _transformed.get(key)
    if tile is None:
        tile = _transform(base, scale, rotation, opacity)
        _transformed.put(key, tile, held=tile_bytes(base))  # the key keeps the base alive
    return tile


def _transform(base: Tile, scale: float, rotation: float, opacity: float) -> Tile:
    premul, alpha = base.premul, base.alpha
    if scale != 1.0 or rotation != 0.0:
        w, h = base.size
        m = cv2.getRotationMatrix2D((w / 2, h / 2), -rotation, scale)
        cos, sin = abs(m[0, 0]), abs(m[0, 1])
        nw, nh = max(1, int(w * cos + h * sin + 2)), max(1, int(w * sin + h * cos + 2))
        m[0, 2] += nw / 2 - w / 2
        m[1, 2] += nh / 2 - h / 2
        premul = cv2.warpAffine(premul, m, (nw, nh), flags=cv2.INTER_LINEAR)
        alpha = cv2.warpAffine(alpha, m, (nw, nh), flags=cv2.INTER_LINEAR)
    if opacity < 1.0:
        premul = cv2.multiply(premul, (opacity, opacity, opacity, 0), dtype=cv2.CV_8U)
        alpha = cv2.multiply(alpha, opacity, dtype=cv2.CV_8U)
    if premul is base.premul:
        return base
    return make_tile(premul, alpha)
