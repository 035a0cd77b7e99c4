"""``liveshop assistant``: evaluate the assistant on a labelled set of questions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from liveshop.core.output import OutputFormat

app = typer.Typer(
    no_args_is_help=True,
    help="The shop's customer-service assistant: evaluate on labelled questions.",
)

SHIPPED_SET = "the shipped set: src/liveshop/assistant/data/evaluation/questions.csv"


@app.command("evaluate")
def evaluate_command(
    file: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            help="CSV with columns room_fixture, question, expected_fact; "
            "<room_fixture>.json beside it",
        ),
    ],
    output: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.TABLE,
) -> None:
    """Answer accuracy, share answered and wrong-answer rate, beside keyword search."""
    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    from liveshop.assistant.evaluation import evaluate

    rows = max(sum(1 for _ in file.open(encoding="utf-8")) - 1, 0)
    with Progress(console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("answering", total=rows)
        report = evaluate(file, on_row=lambda: progress.advance(task))
    if output is OutputFormat.JSON:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"assistant on {report['assistant']['questions']} questions ({file.name})")
    table.add_column("measure")
    table.add_column("assistant")
    table.add_column("keyword search")
    for key in (
        "accuracy",
        "share_answered",
        "share_of_answerable_answered_rightly",
        "wrong_answer_rate",
        "wrong_answers",
        "host_questions_kept_for_host",
    ):
        table.add_row(
            key.replace("_", " "),
            str(report["assistant"][key]),
            str(report["keyword_baseline"][key]),
        )
    Console().print(table)
