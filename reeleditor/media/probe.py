"""What a media file holds (streams, size, duration), read from packets without decoding."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av

from reeleditor.core.errors import MediaError


@dataclass(frozen=True)
class MediaInfo:
    path: Path
    duration: float  # seconds of video (or audio, for a sound file)
    width: int
    height: int
    fps: float
    video_frames: int
    video_codec: str | None
    audio_codec: str | None
    sample_rate: int
    audio_channels: int

    @property
    def has_audio(self) -> bool:
        return self.audio_codec is not None


def probe(path: Path) -> MediaInfo:
    """Count packets to learn the real duration (headers of a salvaged file may be stale)."""
    path = Path(path)
    if not path.is_file():
        raise MediaError(f"{path} does not exist")
    try:
        with av.open(str(path)) as container:
            video = next(iter(container.streams.video), None)
            audio = next(iter(container.streams.audio), None)
            if video is None and audio is None:
                raise MediaError(f"{path} holds no video or sound")
            main = video or audio
            rate = 0.0
            if video is not None:
                rate = float(video.codec_context.framerate or video.guessed_rate or 0)
            end = 0.0
            start = None
            frames = 0
            for packet in container.demux(main):
                if packet.size == 0 or packet.pts is None:
                    continue
                frames += 1
                t = float(packet.pts * packet.time_base)
                start = t if start is None else min(start, t)
                end = max(end, t + float((packet.duration or 0) * packet.time_base))
            duration = max(0.0, end - (start or 0.0))
            if video is not None and rate:
                # Constant-rate video lasts frames/fps. The stored timestamps can run ~21 ms
                # longer: the MP4 muxer offsets video by the AAC encoder's priming samples.
                duration = frames / rate
            return MediaInfo(
                path=path,
                duration=duration,
                width=video.codec_context.width if video else 0,
                height=video.codec_context.height if video else 0,
                fps=rate,
                video_frames=frames if video else 0,
                video_codec=video.codec_context.name if video else None,
                audio_codec=audio.codec_context.name if audio else None,
                sample_rate=audio.codec_context.sample_rate if audio else 0,
                audio_channels=audio.codec_context.channels if audio else 0,
            )
    except av.error.FFmpegError as exc:
        raise MediaError(f"{path} is not a media file this app can read ({exc})") from exc
