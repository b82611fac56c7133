"""Offline speech recognition behind one interface: words with their times, from 16 kHz mono.

The engine is pocketsphinx, whose US English model ships inside its wheel, so captions
work with no download and no network. A larger (or another language's) pocketsphinx
model is a folder with the same layout; `PocketSphinxRecognizer(model_path=...)` takes it.
Another engine only has to implement `Recognizer`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from reeleditor.core.errors import Cancelled, MediaError

RATE = 16000  # what the acoustic models are trained on
CHUNK_SECONDS = 1.0  # cancel and progress are looked at between chunks
FRAMES_PER_SECOND = 100  # pocketsphinx's frame rate (10 ms frames)


@dataclass(frozen=True)
class Word:
    text: str
    start: float  # seconds from the start of the samples given
    end: float


class Recognizer(Protocol):
    """Speech to words. `samples` are int16 mono at `rate` (16 kHz)."""

    name: str

    def words(
        self,
        samples: np.ndarray,
        rate: int,
        should_cancel: Callable[[], bool] | None = None,
        progress: Callable[[float, float], None] | None = None,
    ) -> list[Word]:
        """All words heard, in order; Cancelled when `should_cancel()` turns true."""
        ...


def _is_model(folder: Path) -> bool:
    """A pocketsphinx acoustic model folder holds at least these files."""
    return all((folder / name).is_file() for name in ("mdef", "means", "variances"))


class PocketSphinxRecognizer:
    """pocketsphinx 5; `model_path` None means the bundled en-us model.

    `model_path` may be an acoustic model folder (with mdef, means, ...) beside which a
    language model (*.lm.bin or *.lm) and a dictionary (*.dict) are found, or a folder
    holding such a model folder plus those two files, as the bundled model is laid out.
    """

    def __init__(self, model_path: Path | str | None = None) -> None:
        self.model_path = None if model_path is None else Path(model_path).expanduser()
        self._config = self._configuration()
        label = "bundled en-us" if self.model_path is None else self.model_path.name
        self.name = f"pocketsphinx ({label})"

    def _configuration(self) -> dict:
        if self.model_path is None:
            return {}  # the Decoder's defaults are the bundled en-us model
        path = self.model_path
        if not path.is_dir():
            raise MediaError(f"{path} is not a speech model folder", "give a pocketsphinx model")
        acoustic = (
            path
            if _is_model(path)
            else next((p for p in sorted(path.iterdir()) if p.is_dir() and _is_model(p)), None)
        )
        if acoustic is None:
            raise MediaError(
                f"{path} is not a pocketsphinx model (no mdef, means and variances in it)",
                "give the folder of a pocketsphinx acoustic model",
            )
        places = [acoustic, acoustic.parent]
        lm = _first(places, ("*.lm.bin", "*.lm", "*.lm.dmp"), avoid="phone")
        dictionary = _first(places, ("*.dict", "*.dic"))
        if lm is None or dictionary is None:
            missing = "a language model (*.lm.bin)" if lm is None else "a dictionary (*.dict)"
            raise MediaError(f"the speech model {path} has no {missing} beside it")
        return {"hmm": str(acoustic), "lm": str(lm), "dict": str(dictionary)}

    def _decoder(self):
        from pocketsphinx import Decoder

        try:
            return Decoder(samprate=RATE, loglevel="FATAL", **self._config)
        except (RuntimeError, ValueError) as exc:
            raise MediaError(f"the speech model cannot be loaded: {exc}") from exc

    def words(
        self,
        samples: np.ndarray,
        rate: int,
        should_cancel: Callable[[], bool] | None = None,
        progress: Callable[[float, float], None] | None = None,
    ) -> list[Word]:
        if rate != RATE:
            raise MediaError(f"speech must be {RATE} Hz for recognition, not {rate}")
        pcm = np.ascontiguousarray(samples, dtype=np.int16)
        total = pcm.size / RATE
        decoder = self._decoder()
        step = int(CHUNK_SECONDS * RATE)
        decoder.start_utt()
        for first in range(0, pcm.size, step):
            if should_cancel is not None and should_cancel():
                decoder.end_utt()
                raise Cancelled("the captions were cancelled")
            decoder.process_raw(pcm[first : first + step].tobytes(), False, False)
            if progress is not None:
                progress(min(first + step, pcm.size) / RATE, total)
        decoder.end_utt()
        words = []
        for seg in decoder.seg():
            text = seg.word
            if text.startswith(("<", "[", "++")) or text in ("<sil>", "<s>", "</s>"):
                continue  # silence and filler (breath, noise) are not words
            text = text.split("(")[0]  # 'the(2)': an alternative pronunciation
            start = seg.start_frame / FRAMES_PER_SECOND
            end = (seg.end_frame + 1) / FRAMES_PER_SECOND
            words.append(Word(text, start, end))
        return words


def _first(places: list[Path], patterns: tuple[str, ...], avoid: str = "") -> Path | None:
    for place in places:
        for pattern in patterns:
            for found in sorted(place.glob(pattern)):
                if not avoid or avoid not in found.name:
                    return found
    return None
