"""Renditions: decode once, turn upright, scale in YUV, encode each rung, mux HLS fMP4 and MP4."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path

import av
from av.video.frame import PictureType
from av.video.reformatter import VideoReformatter

from reeleditor.media import hls, reel_audio
from reeleditor.media.admission import read_frames
from reeleditor.media.ladder import CRF, Rung

# veryfast: the ladder is four encodes of every frame on a shared 2-core worker; medium
# costs ~2.5x the time for ~10 % fewer bytes at the same quality, which the VBV caps hide.
PRESET = "veryfast"
GOP_SECONDS = 2
SCALER = "BICUBIC"  # ffmpeg's scale filter default, so the benchmark compares like with like
SEGMENT = "seg_%05d.m4s"


def gop_frames(rate: Fraction) -> int:
    return max(1, round(GOP_SECONDS * rate))


def x264_options(rung: Rung, rate: Fraction) -> dict[str, str]:
    """Capped CRF with VBV; closed GOPs of exactly 2 s (no scene cuts), so every rung cuts
    its segments at the same frames and a player can switch rungs at any boundary."""
    gop = gop_frames(rate)
    return {
        "preset": PRESET,
        "profile": "high",
        "crf": str(CRF),
        # VBV through x264-params: the generic maxrate/bufsize options are not applied here
        "x264-params": (
            f"keyint={gop}:min-keyint={gop}:scenecut=0:open-gop=0"
            f":vbv-maxrate={rung.maxrate_kbps}:vbv-bufsize={rung.bufsize_kbps}"
        ),
    }


def hls_options(folder: Path) -> dict[str, str]:
    return {
        "hls_time": str(GOP_SECONDS),
        "hls_playlist_type": "vod",
        "hls_segment_type": "fmp4",
        # with a folder in the segment name, the muxer puts init.mp4 beside the segments
        "hls_fmp4_init_filename": "init.mp4",
        "hls_segment_filename": str(folder / SEGMENT),
        "hls_flags": "independent_segments",
    }


class _Audio:
    """The one encoded AAC track, re-muxed packet by packet into any number of outputs."""

    def __init__(self, path: Path) -> None:
        with av.open(str(path)) as container:
            stream = container.streams.audio[0]
            self.packets = [
                (bytes(p), p.pts, p.dts, p.duration, p.time_base)
                for p in container.demux(stream)
                if p.dts is not None
            ]

    def copy(self, index: int, stream) -> av.Packet:
        """A fresh packet (muxing rebases timestamps in place, so each output gets its own)."""
        data, pts, dts, duration, time_base = self.packets[index]
        packet = av.Packet(data)
        packet.pts, packet.dts, packet.duration, packet.time_base = pts, dts, duration, time_base
        packet.is_keyframe = True
        packet.stream = stream
        return packet

    def seconds(self, index: int) -> float:
        _, pts, _, _, time_base = self.packets[index]
        return float(pts * time_base)


class RungWriter:
    """One rung: a libx264 encoder muxed into its HLS folder with the shared audio."""

    def __init__(self, rung: Rung, folder: Path, rate: Fraction) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.rung, self.folder, self.rate = rung, folder, rate
        self.audio: _Audio | None = None
        self.held: list[av.Packet] = []  # video packets made before the sound was ready
        self.next_audio = 0
        self.container = av.open(
            str(folder / "index.m3u8"), "w", format="hls", options=hls_options(folder)
        )
        try:
            self._add_streams(rung, rate)
        except BaseException:
            self.abort()  # the container is open: not leaked when a stream cannot be added
            raise
        # One scaler per rung for the whole run: frame.reformat() keeps its SwsContext on
        # the frame, so every new decoded frame rebuilt the bicubic filter tables (17 ms a
        # frame for 1080p -> 360p, against 2 ms to scale).
        self.scaler = VideoReformatter()
        self.codecs = ""

    def _add_streams(self, rung: Rung, rate: Fraction) -> None:
        video = self.container.add_stream("libx264", rate=rate, options=x264_options(rung, rate))
        video.width, video.height, video.pix_fmt = rung.width, rung.height, "yuv420p"
        # Square pixels: the rung's size already is the display size (admission applied SAR).
        video.codec_context.sample_aspect_ratio = Fraction(1, 1)
        # PyAV asks encoders for slice threads, which makes x264 cut every frame in slices
        # (sliced-threads): 1.3-1.9x the bytes at lower PSNR. Frame threads, as ffmpeg uses.
        video.codec_context.thread_type = "FRAME"
        video.codec_context.thread_count = 0
        video.time_base = self.time_base = Fraction(1) / rate
        self.video = video
        # The track is encoded elsewhere (once, for every output) and may not exist yet:
        # this stream only carries its packets. Its own encoder, opened with the header,
        # gives the same AudioSpecificConfig (AAC-LC, 48 kHz, stereo) the packets need.
        self.audio_out = self.container.add_stream("aac", rate=reel_audio.RATE, layout="stereo")
        self.audio_out.bit_rate = reel_audio.BITRATE

    def attach(self, audio: _Audio) -> None:
        """The sound is ready: write what was held, interleaved with it."""
        self.audio = audio
        held, self.held = self.held, []
        self._mux_video(held)

    def _mux_video(self, packets: list[av.Packet]) -> None:
        if self.audio is None:
            self.held.extend(packets)
            return
        for packet in packets:
            if packet.dts is not None:
                self._mux_audio_until(float(packet.dts * packet.time_base))
            self.container.mux(packet)

    def _mux_audio_until(self, seconds: float) -> None:
        packets = self.audio.packets
        while self.next_audio < len(packets) and self.audio.seconds(self.next_audio) <= seconds:
            self.container.mux(self.audio.copy(self.next_audio, self.audio_out))
            self.next_audio += 1

    def encode(self, frame: av.VideoFrame, index: int) -> None:
        scaled = self.scaler.reformat(
            frame,
            width=self.rung.width,
            height=self.rung.height,
            format="yuv420p",
            interpolation=SCALER,
        )
        # At the source's size this is the decoded frame itself, shared by the rungs: each
        # sets the same pts. The time base is the encoder's (the muxer may change the
        # stream's), and the decoder's duration (in the source's time base) is dropped.
        scaled.pts = index
        scaled.time_base = self.time_base
        scaled.duration = 1
        # A decoded frame keeps the source's picture type, and FFmpeg's libx264 wrapper
        # obeys it: every source P frame would be forced to P (no B frames, 1.3-1.9x the
        # bytes). Cleared, as the ffmpeg CLI does, so x264 chooses (GOPs set by keyint).
        scaled.pict_type = PictureType.NONE
        self._mux_video(self.video.encode(scaled))

    def close(self) -> None:
        self._mux_video(self.video.encode(None))
        self._mux_audio_until(float("inf"))
        self.codecs = f"{hls.avc_codec_string(bytes(self.video.codec_context.extradata))}," + (
            hls.AUDIO_CODEC
        )
        self.container.close()

    def abort(self) -> None:
        try:
            self.container.close()
        except av.error.FFmpegError:
            pass  # a half-written rung is deleted by the caller either way


def upright_frames(
    source: Path, rate: Fraction, rotation: int, limit: int | None = None
) -> Iterator[tuple[int, object]]:
    """Decoded frames, turned upright, on a constant-rate grid: (output index, frame).

    Like ffmpeg's fps filter: a frame goes to the slot nearest its time; a gap repeats the
    previous frame and two frames in one slot keep the later. A CFR source maps 1:1.
    `limit` is the slot count of the stream's duration: rounding to the nearest slot would
    otherwise give the last source frame of a faster source a slot past the end.
    """
    with av.open(str(source)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        graph = None
        start = None
        previous = None
        expected = 0
        for frame in read_frames(container, stream):
            if rotation:
                graph = graph or _rotation_graph(stream, frame, rotation)
                graph.push(frame)
                frame_time = frame.time
                frame = graph.pull()
            else:
                frame_time = frame.time
            t = frame_time if frame_time is not None else expected / rate
            start = t if start is None else start
            slot = round((t - start) * rate)
            if slot < expected:
                previous = frame  # two in one slot: keep the later for the next gap
                continue
            while previous is not None and expected < slot:
                if limit is not None and expected >= limit:
                    return
                yield expected, previous
                expected += 1
            if limit is not None and expected >= limit:
                return
            yield expected, frame
            expected += 1
            previous = frame


def _rotation_graph(stream, frame, rotation: int):
    """transpose/flip in the filter graph: pixels stay YUV, as in ffmpeg's autorotate."""
    graph = av.filter.Graph()
    buffer = graph.add_buffer(
        width=frame.width,
        height=frame.height,
        format=frame.format.name,
        time_base=stream.time_base,
    )
    chain = {90: [("transpose", "clock")], 270: [("transpose", "cclock")]}.get(
        rotation, [("hflip", None), ("vflip", None)]
    )
    node = buffer
    for name, args in chain:
        nxt = graph.add(name, args)
        node.link_to(nxt)
        node = nxt
    sink = graph.add("buffersink")
    node.link_to(sink)
    graph.configure()
    return graph


def encode_rungs(
    source: Path,
    rungs: list[Rung],
    folders: list[Path],
    rate: Fraction,
    rotation: int,
    audio: Callable[[bool], Path | None],
    on_frame: Callable[[int, object], None] | None = None,
    limit: int | None = None,
) -> Iterator[int]:
    """Encode every rung from one decode of `source`; yields the output frame count so far.

    `audio(block)` gives the encoded AAC track's path, or None while it is still being made
    (block=False): video packets are held until it is ready, so the sound can be prepared
    on another core while the first rung encodes. The caller may stop between yields
    (cancel): the writers are closed and their folders are the caller's to delete.
    Returns {rung name: CODECS string} via StopIteration.
    """
    writers: list[RungWriter] = []
    done = False
    track = None
    try:
        for rung, folder in zip(rungs, folders, strict=True):
            writers.append(RungWriter(rung, folder, rate))  # each one closed if a later fails
        count = 0
        for index, frame in upright_frames(source, rate, rotation, limit):
            if track is None and (path := audio(False)) is not None:
                track = _Audio(path)
                for writer in writers:
                    writer.attach(track)
            for writer in writers:
                writer.encode(frame, index)
            if on_frame is not None:
                on_frame(index, frame)
            count = index + 1
            if count % 15 == 0:
                yield count
        if track is None:
            track = _Audio(audio(True))
            for writer in writers:
                writer.attach(track)
        for writer in writers:
            writer.close()
        done = True
        yield count
        return {w.rung.name: w.codecs for w in writers}
    finally:
        if not done:
            for writer in writers:
                writer.abort()


def progressive_mp4(folder: Path, target: Path, work: Path) -> None:
    """reel.mp4 from a rung's own fMP4 init + segments: the same packets, re-muxed with
    the index at the front (faststart) for downloads and simple players; nothing re-encoded."""
    playlist = hls.parse_media_playlist((folder / "index.m3u8").read_text())
    joined = work / f"{folder.name}-joined.mp4"
    with open(joined, "wb") as out:
        for name in [playlist.init] + [s.uri for s in playlist.segments]:
            with open(folder / name, "rb") as part:
                shutil.copyfileobj(part, out)
    with (
        av.open(str(joined)) as src,
        av.open(str(target), "w", format="mp4", options={"movflags": "+faststart"}) as dst,
    ):
        mapping = {s.index: dst.add_stream_from_template(s) for s in src.streams}
        for packet in src.demux():
            if packet.dts is None:
                continue
            packet.stream = mapping[packet.stream.index]
            dst.mux(packet)
    joined.unlink()
