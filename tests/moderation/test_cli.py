"""``liveshop moderate`` and ``liveshop compliance`` through the real Typer app."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from liveshop.cli import app

CORPUS = Path(__file__).parent / "labelled_corpus.csv"


def write_lines(tmp_path: Path, *lines: str) -> str:
    path = tmp_path / "texts.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def test_moderate_file_prints_one_json_verdict_a_line(tmp_path: Path) -> None:
    texts = write_lines(tmp_path, "这个多少钱", "加我薇 信 abc12345", "傻@逼")
    result = CliRunner().invoke(app, ["moderate", texts, "--format", "json"])
    assert result.exit_code == 0, result.output
    verdicts = [json.loads(line) for line in result.output.splitlines()]
    assert [(v["action"], v["categories"], v["masked"]) for v in verdicts] == [
        ("allow", [], "这个多少钱"),
        ("mask", ["off_platform"], "加我************"),
        ("mask", ["abuse"], "***"),
    ]
    assert verdicts[1]["matches"][0]["term"] == "微信"
    assert verdicts[1]["matches"][0]["position"] == {"start": 2, "end": 14}


def test_moderate_file_takes_options_before_the_file(tmp_path: Path) -> None:
    texts = write_lines(tmp_path, "全网最低价")
    result = CliRunner().invoke(app, ["moderate", "--surface", "product_title", texts])
    assert result.exit_code == 0, result.output
    assert result.output == "review\tadvertising_law\t全网***\n"


def test_moderate_evaluate_prints_precision_and_recall(tmp_path: Path) -> None:
    labelled = tmp_path / "labelled.csv"
    labelled.write_text(
        "text,label\n这个多少钱,clean\n加我微信,off_platform\n冰毒,drugs\n"
        "威信县的朋友,clean\n叶子有货,drugs\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["moderate", "evaluate", str(labelled), "--format", "json"])
    assert result.exit_code == 0, result.output
    scores = {score["category"]: score for score in json.loads(result.output)["scores"]}
    assert scores["off_platform"] | {"category": None} == {
        "category": None,
        "precision": 0.5,
        "recall": 1.0,
        "support": 1,
        "true_positives": 1,
        "false_positives": 1,
        "false_negatives": 0,
    }
    assert (scores["drugs"]["precision"], scores["drugs"]["recall"]) == (1.0, 0.5)
    assert (scores["porn"]["precision"], scores["porn"]["recall"]) == (None, None)


def test_moderate_evaluate_table_on_the_shipped_corpus() -> None:
    result = CliRunner().invoke(app, ["moderate", "evaluate", str(CORPUS)])
    assert result.exit_code == 0, result.output
    assert "moderation on 243 labelled texts" in result.output
    assert "off_platform" in result.output


def test_compliance_check_prints_findings_as_json(tmp_path: Path) -> None:
    texts = write_lines(tmp_path, "最佳赏味期 30 天", "全网最低价 根治失眠", "纯棉短袖")
    result = CliRunner().invoke(app, ["compliance", "check", texts, "--format", "json"])
    assert result.exit_code == 0, result.output
    reports = [json.loads(line) for line in result.output.splitlines()]
    assert [report["action"] for report in reports] == ["review", "block", "allow"]
    assert [
        (f["term"], f["category"], f["position"]["start"], f["severity"], f["exemption"])
        for f in reports[0]["findings"]
    ] == [("最佳", "superlative", 0, "high", "consumer_tip")]
    assert [f["term"] for f in reports[1]["findings"]] == ["最低价", "根治", "治失眠"]
    assert all(f["rule"] and f["suggestion"] for f in reports[1]["findings"])


def test_moderate_file_with_an_operator_list_directory(tmp_path: Path) -> None:
    lists = tmp_path / "lists"
    lists.mkdir()
    (lists / "abuse.csv").write_text("term\n丑八怪\n", encoding="utf-8")
    texts = write_lines(tmp_path, "丑 八 怪", "这个多少钱")
    result = CliRunner().invoke(app, ["moderate", texts, "--lists", str(lists)])
    assert result.exit_code == 0, result.output
    assert result.output == "mask\tabuse\t*****\nallow\t\t这个多少钱\n"
