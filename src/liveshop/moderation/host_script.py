"""The pre-live check of a host's script or subtitle file, cue by cue, timestamps kept.

Reads SubRip (``.srt``: number, ``00:01:02,000 --> 00:01:05,500``, text)
or plain lines, each optionally led by a timestamp (``[00:01:02]`` or
``00:01:02``); a line without one keeps ``start`` empty. Every cue is checked
like any seller copy, so the host sees what to fix and where it is said.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from liveshop.moderation.compliance import ComplianceReport, check_copy
from liveshop.moderation.lists import Action

TIMESTAMP = r"\d{1,2}:\d{2}:\d{2}(?:[,.]\d{1,3})?"
SRT_TIMING = re.compile(rf"^\s*({TIMESTAMP})\s*-->\s*({TIMESTAMP})\s*$")
LEADING_TIMESTAMP = re.compile(rf"^\s*\[?({TIMESTAMP})\]?\s+(.*)$")


@dataclass(frozen=True, slots=True)
class Cue:
    """What is said, from ``start`` to ``end`` (as written in the file), at ``line``."""

    line: int
    start: str | None
    end: str | None
    text: str


@dataclass(frozen=True, slots=True)
class CueReport:
    cue: Cue
    report: ComplianceReport

    def as_json(self) -> dict[str, object]:
        return {
            "line": self.cue.line,
            "start": self.cue.start,
            "end": self.cue.end,
            "text": self.cue.text,
            **self.report.as_json(),
        }


def read_cues(script: str) -> list[Cue]:
    """Cues of a SubRip file if it has timings, else one cue per non-blank line."""
    lines = script.splitlines()
    if any(SRT_TIMING.match(line) for line in lines):
        return list(_subrip_cues(lines))
    return [_plain_cue(number, line) for number, line in enumerate(lines, 1) if line.strip()]


def _subrip_cues(lines: list[str]) -> Iterator[Cue]:
    timing: re.Match[str] | None = None
    first_line = 0
    text: list[str] = []
    for number, line in enumerate([*lines, ""], 1):
        matched = SRT_TIMING.match(line)
        if matched:
            timing, first_line, text = matched, number + 1, []
        elif not line.strip():
            if timing and text:
                yield Cue(first_line, timing.group(1), timing.group(2), " ".join(text))
            timing, text = None, []
        elif timing:
            text.append(line.strip())


def _plain_cue(number: int, line: str) -> Cue:
    stamped = LEADING_TIMESTAMP.match(line)
    if stamped:
        return Cue(number, stamped.group(1), None, stamped.group(2).strip())
    return Cue(number, None, None, line.strip())


def check_script(script: str, *, registered_names: Iterable[str] = ()) -> list[CueReport]:
    """The cues that need a change or a moderator's look, in script order."""
    names = tuple(registered_names)
    reports = (
        CueReport(cue, check_copy(cue.text, registered_names=names)) for cue in read_cues(script)
    )
    return [report for report in reports if report.report.action is not Action.ALLOW]
