"""Synthesizes the bundled royalty-free music library into resources/music/ (run once).

Every sound is made here from sine waves, noise and envelopes, so the tracks are ours to
give away (CC0). Run: python scripts/make_music.py
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

RATE = 48000
SECONDS = 40
OUT = Path(__file__).resolve().parent.parent / "resources" / "music"

NOTE = {
    n: i for i, n in enumerate(["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"])
}


def hz(name: str, octave: int) -> float:
    return 440.0 * 2 ** ((NOTE[name] + 12 * (octave + 1) - 69) / 12)


def env(n: int, attack: float, release: float) -> np.ndarray:
    t = np.arange(n) / RATE
    a = np.clip(t / max(attack, 1e-4), 0, 1)
    return a * np.exp(-t / max(release, 1e-4))


def kick(n):
    t = np.arange(n) / RATE
    f = 50 + 90 * np.exp(-t * 30)
    return np.sin(2 * np.pi * np.cumsum(f) / RATE) * np.exp(-t * 9)


def snare(n, rng):
    t = np.arange(n) / RATE
    return (rng.standard_normal(n) * 0.6 + np.sin(2 * np.pi * 190 * t) * 0.4) * np.exp(-t * 22)


def hat(n, rng):
    noise = rng.standard_normal(n)
    noise = np.diff(noise, prepend=0)  # crude high-pass: brightness
    return noise * np.exp(-np.arange(n) / RATE * 70) * 0.35


def tone(freq, n, kind="sine"):
    t = np.arange(n) / RATE
    phase = 2 * np.pi * freq * t
    if kind == "saw":
        return sum(np.sin(k * phase) / k for k in range(1, 8)) * 0.6
    if kind == "square":
        return sum(np.sin(k * phase) / k for k in range(1, 9, 2)) * 0.8
    if kind == "soft":
        return np.sin(phase) + 0.3 * np.sin(2 * phase) + 0.1 * np.sin(3 * phase)
    return np.sin(phase)


def place(track, start, sound, gain):
    end = min(len(track), start + len(sound))
    if start < len(track):
        track[start:end] += sound[: end - start] * gain


def render(spec: dict, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = RATE * SECONDS
    left, right = np.zeros(n), np.zeros(n)
    beat = 60.0 / spec["bpm"]
    spb = int(beat * RATE)
    chords = spec["chords"]
    bars = int(SECONDS / (4 * beat)) + 1
    for bar in range(bars):
        root, quality = chords[bar % len(chords)]
        third = 3 if quality == "m" else 4
        base = hz(root, spec["octave"])
        chord = [base, base * 2 ** (third / 12), base * 2 ** (7 / 12)]
        if spec.get("seventh"):
            chord.append(base * 2 ** ((10 if quality == "m" else 11) / 12))
        bar_start = bar * 4 * spb
        pad_len = 4 * spb
        pad = sum(tone(f, pad_len, spec["pad"]) for f in chord) / len(chord)
        pad *= env(pad_len, spec["pad_attack"], 4 * beat * 0.8)
        place(left, bar_start, pad, spec["pad_gain"])
        place(right, bar_start, pad, spec["pad_gain"] * 0.9)
        for b in range(4):
            start = bar_start + b * spb
            if spec["drums"]:
                if b in spec["kicks"]:
                    place(left, start, kick(spb), 0.9)
                    place(right, start, kick(spb), 0.9)
                if b in (1, 3):
                    s = snare(spb // 2, rng)
                    place(left, start, s, 0.35)
                    place(right, start, s, 0.35)
                for half in range(spec["hats"]):
                    h = hat(spb // 4, rng)
                    off = start + half * spb // spec["hats"]
                    place(left, off, h, 0.25)
                    place(right, off, h, 0.18)
            bass = tone(base / 2, spb, "soft") * env(spb, 0.005, beat * 0.6)
            place(left, start, bass, spec["bass_gain"])
            place(right, start, bass, spec["bass_gain"])
        # a melody on the chord's notes, one octave up, in the track's rhythm
        for step, hit in enumerate(spec["melody"]):
            if hit:
                f = chord[(step * 2 + bar) % len(chord)] * 2
                length = spb // 2
                note = tone(f, length, spec["lead"]) * env(length, 0.01, beat * 0.35)
                start = bar_start + step * spb // 2
                place(left, start, note, spec["lead_gain"] * 0.8)
                place(right, start, note, spec["lead_gain"])
    if spec.get("crackle"):
        pops = rng.random(n) < 0.0004
        crackle = pops * rng.standard_normal(n) * 0.3
        left += crackle
        right += crackle
    mix = np.stack([left, right])
    fade = int(RATE * 1.5)
    mix[:, :fade] *= np.linspace(0, 1, fade)
    mix[:, -fade:] *= np.linspace(1, 0, fade)
    return (np.tanh(mix * 0.9) * 0.8).astype(np.float32)  # gentle limiter


TRACKS = [
    {
        "name": "sunny-day",
        "title": "Sunny Day",
        "mood": "upbeat",
        "bpm": 118,
        "octave": 4,
        "chords": [("C", ""), ("G", ""), ("A", "m"), ("F", "")],
        "pad": "soft",
        "pad_attack": 0.05,
        "pad_gain": 0.22,
        "drums": True,
        "kicks": (0, 2),
        "hats": 2,
        "bass_gain": 0.35,
        "lead": "square",
        "lead_gain": 0.12,
        "melody": [1, 0, 1, 1, 0, 1, 1, 0],
    },
    {
        "name": "night-drive",
        "title": "Night Drive",
        "mood": "moody",
        "bpm": 96,
        "octave": 3,
        "chords": [("A", "m"), ("F", ""), ("C", ""), ("G", "")],
        "pad": "saw",
        "pad_attack": 0.3,
        "pad_gain": 0.18,
        "drums": True,
        "kicks": (0, 2),
        "hats": 4,
        "bass_gain": 0.4,
        "lead": "saw",
        "lead_gain": 0.08,
        "melody": [1, 0, 0, 1, 0, 0, 1, 0],
    },
    {
        "name": "lofi-study",
        "title": "Lo-fi Study",
        "mood": "chill",
        "bpm": 80,
        "octave": 4,
        "chords": [("F", ""), ("E", "m"), ("D", "m"), ("C", "")],
        "seventh": True,
        "pad": "soft",
        "pad_attack": 0.08,
        "pad_gain": 0.25,
        "drums": True,
        "kicks": (0, 2),
        "hats": 2,
        "bass_gain": 0.3,
        "lead": "sine",
        "lead_gain": 0.12,
        "melody": [0, 1, 0, 0, 1, 0, 1, 0],
        "crackle": True,
    },
    {
        "name": "hype-run",
        "title": "Hype Run",
        "mood": "energetic",
        "bpm": 140,
        "octave": 3,
        "chords": [("E", "m"), ("C", ""), ("D", ""), ("B", "m")],
        "pad": "saw",
        "pad_attack": 0.01,
        "pad_gain": 0.15,
        "drums": True,
        "kicks": (0, 1, 2, 3),
        "hats": 4,
        "bass_gain": 0.45,
        "lead": "square",
        "lead_gain": 0.1,
        "melody": [1, 1, 0, 1, 1, 0, 1, 1],
    },
    {
        "name": "calm-waves",
        "title": "Calm Waves",
        "mood": "calm",
        "bpm": 70,
        "octave": 4,
        "chords": [("D", ""), ("B", "m"), ("G", ""), ("A", "")],
        "seventh": True,
        "pad": "sine",
        "pad_attack": 1.0,
        "pad_gain": 0.3,
        "drums": False,
        "kicks": (),
        "hats": 0,
        "bass_gain": 0.2,
        "lead": "sine",
        "lead_gain": 0.1,
        "melody": [1, 0, 0, 0, 1, 0, 0, 0],
    },
    {
        "name": "funky-walk",
        "title": "Funky Walk",
        "mood": "playful",
        "bpm": 105,
        "octave": 4,
        "chords": [("G", ""), ("C", ""), ("E", "m"), ("D", "")],
        "seventh": True,
        "pad": "square",
        "pad_attack": 0.01,
        "pad_gain": 0.1,
        "drums": True,
        "kicks": (0, 2),
        "hats": 4,
        "bass_gain": 0.45,
        "lead": "soft",
        "lead_gain": 0.14,
        "melody": [1, 0, 1, 0, 0, 1, 0, 1],
    },
]


def encode_m4a(samples: np.ndarray, path: Path, title: str) -> None:
    with av.open(str(path), "w", format="mp4") as out:
        out.metadata["title"] = title
        stream = out.add_stream("aac", rate=RATE, layout="stereo")
        stream.bit_rate = 80_000
        for start in range(0, samples.shape[1], 1024):
            chunk = np.ascontiguousarray(samples[:, start : start + 1024])
            frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="stereo")
            frame.sample_rate = RATE
            frame.pts = start
            frame.time_base = Fraction(1, RATE)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    library = []
    for seed, spec in enumerate(TRACKS):
        path = OUT / f"{spec['name']}.m4a"
        encode_m4a(render(spec, seed), path, spec["title"])
        library.append(
            {
                "name": spec["name"],
                "title": spec["title"],
                "bpm": spec["bpm"],
                "mood": spec["mood"],
                "file": path.name,
                "seconds": SECONDS,
                "licence": "CC0 (synthesized by scripts/make_music.py)",
            }
        )
        print(f"{path.name}: {path.stat().st_size // 1024} KiB")
    (OUT / "library.json").write_text(json.dumps(library, indent=1) + "\n")


if __name__ == "__main__":
    main()
