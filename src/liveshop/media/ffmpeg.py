"""ffmpeg without re-encoding: remux a recording, join recordings, cut clips.

LiveShop never decodes video itself; these run Debian's ffmpeg and ffprobe.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

FFMPEG_TIMEOUT_SECONDS = 600.0  # a long show remuxes at disk speed
FFMPEG = ("ffmpeg", "-nostdin", "-loglevel", "error", "-y")
FASTSTART = ("-movflags", "+faststart")  # the index first: a browser starts at once


class FfmpegFailed(RuntimeError):
    pass


def _run(arguments: list[str]) -> str:
    binary = shutil.which(arguments[0])
    if binary is None:
        raise FfmpegFailed(f"{arguments[0]} is not installed: run scripts/ensure-media.sh")
    done = subprocess.run(
        [binary, *arguments[1:]],
        capture_output=True,
        text=True,
        timeout=FFMPEG_TIMEOUT_SECONDS,
        check=False,
    )
    if done.returncode != 0:
        raise FfmpegFailed(done.stderr.strip()[-500:])
    return done.stdout


def _atomic_output(target: Path) -> Path:
    return target.with_name(f".{target.stem}.part{target.suffix}")


def remux_to_mp4(source: Path, target: Path) -> None:
    """FLV to MP4, streams copied; the moov atom first, so a browser plays at once."""
    partial = _atomic_output(target)
    _run(
        [
            "ffmpeg",
            "-nostdin",
            "-loglevel",
            "error",
            "-y",
            "-i",
            str(source),
            "-c",
            "copy",
            "-movflags",
            "+faststart",
            str(partial),
        ]
    )
    partial.replace(target)


def join_mp4(sources: list[Path], target: Path) -> None:
    """Recordings one after the other (the concat demuxer, streams copied)."""
    listing = target.with_name(f".{target.stem}.txt")
    listing.write_text("".join(f"file '{source.resolve()}'\n" for source in sources))
    partial = _atomic_output(target)
    try:
        _run(
            [
                "ffmpeg",
                "-nostdin",
                "-loglevel",
                "error",
                "-y",
                "-f",
                "concat",
                "-safe",
                "0",
                "-i",
                str(listing),
                "-c",
                "copy",
                "-movflags",
                "+faststart",
                str(partial),
            ]
        )
        partial.replace(target)
    finally:
        listing.unlink(missing_ok=True)


def cut_clip(source: Path, target: Path, *, start_s: float, duration_s: float) -> None:
    """A clip from ``start_s`` (input seeking: it starts at the keyframe at or before it)."""
    partial = _atomic_output(target)
    _run(
        [
            "ffmpeg",
            "-nostdin",
            "-loglevel",
            "error",
            "-y",
            "-ss",
            f"{start_s:.3f}",
            "-i",
            str(source),
            "-t",
            f"{duration_s:.3f}",
            "-c",
            "copy",
            "-avoid_negative_ts",
            "make_zero",
            "-movflags",
            "+faststart",
            str(partial),
        ]
    )
    partial.replace(target)


def duration_seconds(path: Path) -> float:
    output = _run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "json", str(path)]
    )
    return float(json.loads(output)["format"]["duration"])
