"""Stream health from the media server's statistics (nginx-rtmp's ``rtmp_stat all`` XML).

The XML comes from our own media server on this machine (``/stat`` answers only
127.0.0.1), so the standard library's parser reads it.
"""

from __future__ import annotations

import urllib.error
import urllib.request
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass

STAT_TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True)
class StreamHealth:
    bitrate_kbps: int  # everything the publisher sends
    video_kbps: int
    audio_kbps: int
    fps: float | None  # the frame rate the encoder declares
    width: int | None
    height: int | None
    video_codec: str | None
    audio_codec: str | None
    uptime_s: float


def _int(element: ElementTree.Element | None, path: str) -> int | None:
    text = element.findtext(path) if element is not None else None
    try:
        return int(text) if text else None
    except ValueError:
        return None


def _float(element: ElementTree.Element | None, path: str) -> float | None:
    text = element.findtext(path) if element is not None else None
    try:
        return float(text) if text else None
    except ValueError:
        return None


def parse_stream_health(xml_text: str, *, application: str, name: str) -> StreamHealth | None:
    """The stream ``name`` of ``application`` in a stat page, or None if it is not there."""
    root = ElementTree.fromstring(xml_text)
    for app in root.iter("application"):
        if app.findtext("name") != application:
            continue
        for stream in app.iter("stream"):
            if stream.findtext("name") == name:
                return _health(stream)
    return None


def _health(stream: ElementTree.Element) -> StreamHealth:
    uptime_ms = _int(stream, "time") or 0
    bytes_in = _int(stream, "bytes_in") or 0
    bandwidth = _int(stream, "bw_in") or 0
    # nginx-rtmp measures bandwidth over 10 s windows (0 before the first one ends):
    # until then, the average since the stream started
    if bandwidth == 0 and uptime_ms > 0:
        bandwidth = bytes_in * 8 * 1000 // uptime_ms
    video = stream.find("meta/video")
    audio = stream.find("meta/audio")
    return StreamHealth(
        bitrate_kbps=bandwidth // 1000,
        video_kbps=(_int(stream, "bw_video") or 0) // 1000,
        audio_kbps=(_int(stream, "bw_audio") or 0) // 1000,
        fps=_float(video, "frame_rate"),
        width=_int(video, "width"),
        height=_int(video, "height"),
        video_codec=video.findtext("codec") if video is not None else None,
        audio_codec=audio.findtext("codec") if audio is not None else None,
        uptime_s=uptime_ms / 1000,
    )


def fetch_stream_health(stat_url: str, *, application: str, name: str) -> StreamHealth | None:
    """Asks the media server; None when it has no such stream or does not answer."""
    try:
        with urllib.request.urlopen(stat_url, timeout=STAT_TIMEOUT_SECONDS) as response:
            body = response.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError):
        return None
    try:
        return parse_stream_health(body, application=application, name=name)
    except ElementTree.ParseError:
        return None
