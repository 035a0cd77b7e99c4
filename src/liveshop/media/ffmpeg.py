"""ffmpeg without re-encoding: remux a recording, join recordings, cut clips.

LiveShop never decodes video itself; these run Debian's ffmpeg and ffprobe.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
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


@contextmanager
def _writing(target: Path) -> Iterator[None]:
    """Hold ``target``'s lock file (an exclusive ``flock`` beside it) while it is written,
    so two requests asking for the same file at once make it once, one after the other
    (every worker process sees the same lock)."""
    lock_path = target.with_name(f".{target.name}.lock")
    with lock_path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _copy_into_mp4(
    target: Path, inputs: list[str], *, output_options: tuple[str, ...] = ()
) -> None:
    """ffmpeg with streams copied (no re-encoding) into an MP4 whose moov atom comes
    first, so a browser plays it at once. Written under a name of its own beside
    ``target`` and renamed over it: a reader sees the whole file or none."""
    descriptor, name = tempfile.mkstemp(
        prefix=f".{target.stem}.", suffix=f".part{target.suffix}", dir=target.parent
    )
    os.close(descriptor)
    partial = Path(name)
    try:
        _run([*FFMPEG, *inputs, "-c", "copy", *output_options, *FASTSTART, str(partial)])
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)


def remux_to_mp4(source: Path, target: Path) -> None:
    """FLV to MP4 (again, if the media server reports the recording twice)."""
    with _writing(target):
        _copy_into_mp4(target, ["-i", str(source)])


def join_mp4(sources: list[Path], target: Path) -> None:
    """Recordings one after the other (the concat demuxer), once: a ``target`` already
    there (another request joined them first) is kept."""
    with _writing(target):
        if target.exists():
            return
        listing = target.with_name(f".{target.stem}.txt")
        listing.write_text("".join(f"file '{source.resolve()}'\n" for source in sources))
        try:
            _copy_into_mp4(target, ["-f", "concat", "-safe", "0", "-i", str(listing)])
        finally:
            listing.unlink(missing_ok=True)


def cut_clip(source: Path, target: Path, *, start_s: float, duration_s: float) -> None:
    """A clip from ``start_s`` (input seeking: it starts at the keyframe at or before it),
    cut once: a ``target`` already there (another request cut it first) is kept."""
    with _writing(target):
        if target.exists():
            return
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
