"""WebVTT: caption cues written as a subtitle file, and read back (strictly) from one."""

from __future__ import annotations

import re
from pathlib import Path

from reeleditor.core.draft import Draft
from reeleditor.core.words import Cue
from reeleditor.storage.atomic import atomic_write

MIME = "text/vtt"
_TIME = re.compile(r"^(?:(\d{2,}):)?([0-5]\d):([0-5]\d)\.(\d{3})$")
_ARROW = " --> "


def timestamp(seconds: float) -> str:
    """HH:MM:SS.mmm, as the WebVTT spec writes cue times."""
    ms = max(0, round(seconds * 1000))
    hours, ms = divmod(ms, 3_600_000)
    minutes, ms = divmod(ms, 60_000)
    secs, ms = divmod(ms, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{ms:03d}"


def parse_timestamp(text: str) -> float:
    match = _TIME.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a WebVTT time (HH:MM:SS.mmm)")
    hours, minutes, secs, ms = match.groups()
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(secs) + int(ms) / 1000


def _escape(text: str) -> str:
    # a cue's payload is markup: & and < start entities and tags; '-->' would end the
    # timing line's meaning, and a blank line would end the cue
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return "\n".join(line for line in text.splitlines() if line.strip())


def _unescape(text: str) -> str:
    text = re.sub(r"<[^>]*>", "", text)  # voice, class and timestamp tags: not ours to keep
    for entity, char in (("&lt;", "<"), ("&gt;", ">"), ("&nbsp;", "\u00a0"), ("&lrm;", "")):
        text = text.replace(entity, char)
    return text.replace("&amp;", "&")


def write_vtt(cues: tuple[Cue, ...] | list[Cue], language: str = "") -> str:
    """The cues as a WebVTT file's text (UTF-8 when written); cue ids are 1, 2, ..."""
    lines = ["WEBVTT"]
    if language:
        lines[0] += f" - {language}"  # header text is free; players ignore it
    lines.append("")
    for number, cue in enumerate(cues, 1):
        lines.append(str(number))
        lines.append(f"{timestamp(cue.start)}{_ARROW}{timestamp(cue.end)}")
        lines.append(_escape(cue.text) or "\u00a0")
        lines.append("")
    return "\n".join(lines)


def parse_vtt(text: str) -> list[Cue]:
    """The cues of a WebVTT file; ValueError naming the line for anything malformed.

    Notes, STYLE and REGION blocks are skipped; cue settings after the end time and
    markup tags in the payload are dropped.
    """
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    blocks = re.split(r"\n{2,}", text.strip("\n"))
    header = blocks[0].split("\n")[0]
    if not (header == "WEBVTT" or header.startswith(("WEBVTT ", "WEBVTT\t"))):
        raise ValueError("not a WebVTT file: it must start with 'WEBVTT'")
    if _ARROW.strip() in blocks[0]:
        raise ValueError("the WEBVTT header must be followed by a blank line")
    cues: list[Cue] = []
    for block in blocks[1:]:
        lines = block.split("\n")
        if lines[0].startswith(("NOTE", "STYLE", "REGION")):
            continue
        if _ARROW.strip() not in lines[0]:
            lines = lines[1:]  # the cue's id
        if not lines or _ARROW.strip() not in lines[0]:
            raise ValueError(f"cue {block[:30]!r} has no timing line (start --> end)")
        start_text, _, rest = lines[0].partition("-->")
        start = parse_timestamp(start_text)
        end = parse_timestamp(rest.strip().split()[0] if rest.strip() else "")
        if end <= start:
            raise ValueError(f"cue at {start_text.strip()} ends before it starts")
        cues.append(Cue(start, end, _unescape("\n".join(lines[1:]))))
    return cues


# Written into an export's WebVTT when its captions are burned into the picture (players
# skip NOTE blocks): an upload of the file, from the CLI or the window, tells the cloud,
# which then offers the captions off by default instead of showing every line twice.
BURNED_NOTE = "NOTE reeleditor: these captions are burned into the picture"


def says_burned(text: str) -> bool:
    return any(line.strip() == BURNED_NOTE for line in text.splitlines())


def vtt_path(video: Path) -> Path:
    """Where a video's captions go: beside it, same name, as players look for them."""
    return Path(video).with_suffix(".vtt")


def write_beside(video: Path, draft: Draft) -> list[str]:
    """Write the draft's cues as WebVTT beside `video` (atomically); nothing without cues.

    Returns notices: the video is written already, so a failure here is said, not raised.
    """
    captions = draft.captions
    if captions is None or not captions.cues:
        return []
    path = vtt_path(video)
    text = write_vtt(captions.cues, captions.language)
    if captions.burn:
        header, _, cues = text.partition("\n\n")
        text = f"{header}\n\n{BURNED_NOTE}\n\n{cues}"
    try:
        atomic_write(path, text.encode("utf-8"))
    except OSError as exc:
        return [f"the captions {path} were not written: {exc.strerror or exc}"]
    return []


CAPTIONS_FILE = "captions.vtt"
SUBTITLES_PLAYLIST = "subtitles.m3u8"
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


def header_language(text: str) -> str:
    """The language our writer puts in the header ('WEBVTT - en-US'), else 'en'."""
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    tag = first.partition(" - ")[2].strip()
    return tag if _LANGUAGE.match(tag) else "en"


def publish_captions(text: str, duration: float, folder: Path) -> dict:
    """A client's WebVTT checked and written again into `folder` for delivery: the file
    (cues past the reel's end dropped, ends clipped to it) and an HLS subtitles playlist.

    Returns the manifest's fields ({} when there is nothing to publish). A malformed file
    raises ValueError: the caller publishes the reel without it rather than fail it.
    """
    cues = []
    for cue in parse_vtt(text):
        if cue.start < duration:
            cues.append(Cue(cue.start, min(cue.end, duration), cue.text))
    if not cues:
        return {}
    language = header_language(text)
    (folder / CAPTIONS_FILE).write_text(write_vtt(cues, language), encoding="utf-8")
    from reeleditor.media.hls import write_subtitles_playlist

    write_subtitles_playlist(folder / SUBTITLES_PLAYLIST, CAPTIONS_FILE, duration)
    return {
        "captions": CAPTIONS_FILE,
        "subtitles": {"playlist": SUBTITLES_PLAYLIST, "language": language, "name": "Captions"},
    }
