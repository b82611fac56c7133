"""HLS text: the master playlist we write, a small parser for playlists, CODECS strings."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

AUDIO_CODEC = "mp4a.40.2"  # AAC-LC


@dataclass(frozen=True)
class Segment:
    uri: str
    duration: float


@dataclass(frozen=True)
class MediaPlaylist:
    version: int | None
    target_duration: int | None
    init: str | None  # EXT-X-MAP URI
    segments: list[Segment]
    vod: bool
    ended: bool


def parse_media_playlist(text: str) -> MediaPlaylist:
    """The tags this project writes and reads; raises ValueError on anything malformed."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines or lines[0] != "#EXTM3U":
        raise ValueError("not an M3U8 playlist")
    version = target = init = None
    segments: list[Segment] = []
    vod = ended = False
    pending: float | None = None
    for line in lines[1:]:
        if line.startswith("#EXT-X-VERSION:"):
            version = int(line.split(":", 1)[1])
        elif line.startswith("#EXT-X-TARGETDURATION:"):
            target = int(line.split(":", 1)[1])
        elif line.startswith("#EXT-X-MAP:"):
            init = parse_attributes(line.split(":", 1)[1])["URI"]
        elif line.startswith("#EXT-X-PLAYLIST-TYPE:"):
            vod = line.split(":", 1)[1] == "VOD"
        elif line == "#EXT-X-ENDLIST":
            ended = True
        elif line.startswith("#EXTINF:"):
            pending = float(line.split(":", 1)[1].split(",")[0])
        elif not line.startswith("#"):
            if pending is None:
                raise ValueError(f"segment {line} has no EXTINF")
            segments.append(Segment(line, pending))
            pending = None
    return MediaPlaylist(version, target, init, segments, vod, ended)


_ATTRIBUTE = re.compile(r'([A-Z0-9-]+)=("[^"]*"|[^,]*)')


def parse_attributes(text: str) -> dict[str, str]:
    return {key: value.strip('"') for key, value in _ATTRIBUTE.findall(text)}


def parse_master_playlist(text: str) -> list[dict[str, str]]:
    """One dict per EXT-X-STREAM-INF: its attributes plus "URI"."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines or lines[0] != "#EXTM3U":
        raise ValueError("not an M3U8 playlist")
    variants = []
    for i, line in enumerate(lines):
        if line.startswith("#EXT-X-STREAM-INF:"):
            attributes = parse_attributes(line.split(":", 1)[1])
            attributes["URI"] = lines[i + 1]
            variants.append(attributes)
    return variants


def avc_codec_string(extradata: bytes) -> str:
    """The CODECS entry avc1.PPCCLL, from the SPS in extradata (Annex B or avcC)."""
    if extradata[:1] == b"\x01" and len(extradata) >= 4:  # avcC record
        return "avc1.{:02x}{:02x}{:02x}".format(*tuple(extradata[1:4]))
    for match in re.finditer(rb"\x00\x00\x01", extradata):
        start = match.end()
        if start + 3 < len(extradata) and extradata[start] & 0x1F == 7:
            return "avc1.{:02x}{:02x}{:02x}".format(*tuple(extradata[start + 1 : start + 4]))
    raise ValueError("no SPS in the extradata")


def rung_bandwidth(playlist_path: Path) -> tuple[int, int]:
    """(peak, average) bits a second over a media playlist's segments, from their sizes.

    BANDWIDTH must be the peak segment bitrate (RFC 8216 4.3.4.2); the init segment is
    fetched once and is left out as Apple's mediastreamvalidator does.
    """
    folder = playlist_path.parent
    playlist = parse_media_playlist(playlist_path.read_text())
    peak = 0.0
    total_bits = 0
    total_seconds = 0.0
    for segment in playlist.segments:
        bits = (folder / segment.uri).stat().st_size * 8
        total_bits += bits
        total_seconds += segment.duration
        if segment.duration > 0:
            peak = max(peak, bits / segment.duration)
    average = total_bits / total_seconds if total_seconds else 0.0
    return round(peak), round(average)


SUBTITLES_GROUP = "subs"


def write_master(
    path: Path, renditions: list[dict], frame_rate: float, subtitles: dict | None = None
) -> None:
    """The master playlist, smallest rendition first (players start at the first listed).

    `subtitles` ({"playlist", "language", "name"}, optional "default") adds a WebVTT
    subtitles rendition (EXT-X-MEDIA TYPE=SUBTITLES) that every variant refers to; with
    "default": False (captions burned into the picture) players leave it off until asked.
    """
    lines = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-INDEPENDENT-SEGMENTS"]
    group = ""
    if subtitles:
        group = f',SUBTITLES="{SUBTITLES_GROUP}"'
        on = "YES" if subtitles.get("default", True) else "NO"
        lines.append(
            f'#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="{SUBTITLES_GROUP}",'
            f'NAME="{subtitles["name"]}",LANGUAGE="{subtitles["language"]}",'
            f'DEFAULT={on},AUTOSELECT={on},FORCED=NO,URI="{subtitles["playlist"]}"'
        )
    for r in sorted(renditions, key=lambda r: r["width"] * r["height"]):
        lines.append(
            f"#EXT-X-STREAM-INF:BANDWIDTH={r['bandwidth']},"
            f"AVERAGE-BANDWIDTH={r['average_bandwidth']},"
            f"RESOLUTION={r['width']}x{r['height']},"
            f'CODECS="{r["codecs"]}",FRAME-RATE={frame_rate:.3f}{group}'
        )
        lines.append(r["playlist"])
    path.write_text("\n".join(lines) + "\n")


def write_subtitles_playlist(path: Path, vtt_name: str, duration: float) -> None:
    """A VOD media playlist of one WebVTT segment: the whole reel's captions."""
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:7",
        f"#EXT-X-TARGETDURATION:{max(1, math.ceil(duration))}",
        "#EXT-X-PLAYLIST-TYPE:VOD",
        f"#EXTINF:{duration:.3f},",
        vtt_name,
        "#EXT-X-ENDLIST",
    ]
    path.write_text("\n".join(lines) + "\n")
