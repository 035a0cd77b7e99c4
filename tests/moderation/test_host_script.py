"""The host's pre-live check: cues keep their timestamps."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from liveshop.cli import app
from liveshop.moderation.host_script import Cue, check_script, read_cues

SUBRIP = """1
00:00:01,000 --> 00:00:04,000
家人们晚上好

2
00:00:05,000 --> 00:00:09,500
这款面霜全网最低价
三天见效

3
00:00:10,000 --> 00:00:12,000
最佳赏味期六个月
"""


def test_subrip_cues_keep_their_timings() -> None:
    assert read_cues(SUBRIP) == [
        Cue(3, "00:00:01,000", "00:00:04,000", "家人们晚上好"),
        Cue(7, "00:00:05,000", "00:00:09,500", "这款面霜全网最低价 三天见效"),
        Cue(12, "00:00:10,000", "00:00:12,000", "最佳赏味期六个月"),
    ]


def test_plain_lines_with_and_without_timestamps() -> None:
    assert read_cues("[00:01:02] 欢迎来到直播间\n\n先看这件\n") == [
        Cue(1, "00:01:02", None, "欢迎来到直播间"),
        Cue(3, None, None, "先看这件"),
    ]


def test_check_script_lists_the_cues_to_fix() -> None:
    reports = check_script(SUBRIP)
    assert [(r.cue.start, r.report.action.value) for r in reports] == [
        ("00:00:05,000", "block"),
        ("00:00:10,000", "review"),
    ]
    assert [f.term for f in reports[0].report.findings] == ["最低价", "三天见效"]


def test_compliance_script_command(tmp_path: Path) -> None:
    script = tmp_path / "live.srt"
    script.write_text(SUBRIP, encoding="utf-8")
    result = CliRunner().invoke(app, ["compliance", "script", str(script), "--format", "json"])
    assert result.exit_code == 0, result.output
    cues = [json.loads(line) for line in result.output.splitlines()]
    assert [(cue["start"], cue["end"], cue["action"]) for cue in cues] == [
        ("00:00:05,000", "00:00:09,500", "block"),
        ("00:00:10,000", "00:00:12,000", "review"),
    ]
