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


def _copy_into_mp4(
    target: Path, inputs: list[str], *, output_options: tuple[str, ...] = ()
) -> None:
    """ffmpeg with streams copied (no re-encoding) into an MP4 whose moov atom comes
    first, so a browser plays it at once; written beside ``target`` and renamed."""
    partial = target.with_name(f".{target.stem}.part{target.suffix}")
    _run(
        [
            "ffmpeg",
            "-nostdin",
            "-loglevel",
            "error",
            "-y",
            *inputs,
            "-c",
            "copy",
            *output_options,
            "-movflags",
            "+faststart",
            str(partial),
        ]
    )
    partial.replace(target)


def remux_to_mp4(source: Path, target: Path) -> None:
    """FLV to MP4."""
    _copy_into_mp4(target, ["-i", str(source)])


def join_mp4(sources: list[Path], target: Path) -> None:
    """Recordings one after the other (the concat demuxer)."""
    listing = target.with_name(f".{target.stem}.txt")
    listing.write_text("".join(f"file '{source.resolve()}'\n" for source in sources))
    try:
        _copy_into_mp4(target, ["-f", "concat", "-safe", "0", "-i", str(listing)])
    finally:
        listing.unlink(missing_ok=True)


def cut_clip(source: Path, target: Path, *, start_s: float, duration_s: float) -> None:
    """A clip from ``start_s`` (input seeking: it starts at the keyframe at or before it)."""
    _copy_into_mp4(
        target,
        ["-ss", f"{start_s:.3f}", "-i", str(source), "-t", f"{duration_s:.3f}"],
        output_options=("-avoid_negative_ts", "make_zero"),
    )


def duration_seconds(path: Path) -> float:
    output = _run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "json", str(path)]
    )
    return float(json.loads(output)["format"]["duration"])
