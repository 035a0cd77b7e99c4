"""``liveshop moderate`` and ``liveshop compliance``: one text a line, one verdict a line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from typer.core import TyperGroup

from liveshop.core.output import OutputFormat
from liveshop.moderation.lists import PACKAGED_LISTS, Surface

if TYPE_CHECKING:  # the commands import the engine when they run; their help does not
    from liveshop.moderation.engine import Moderator

CHECK_COMMAND = "check"


class FileOrCommandGroup(TyperGroup):
    """A group whose first argument is either a command or a file for ``check``.

    Click parses a group's own arguments before choosing the command, so an
    optional FILE on the group would swallow the word ``evaluate``. Instead,
    anything that is not a command name (nor ``--help``) runs ``check``.
    """

    # ctx is typer's vendored click Context, a private class: typed Any here.
    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = [CHECK_COMMAND, *args]
        return super().parse_args(ctx, args)


moderate_app = typer.Typer(
    cls=FileOrCommandGroup,
    no_args_is_help=True,
    help="Moderate texts: `liveshop moderate FILE` (one text a line), or `evaluate`.",
)
compliance_app = typer.Typer(no_args_is_help=True, help="Advertising-law checks of seller copy.")

FileArgument = Annotated[
    Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="one text a line")
]
FormatOption = Annotated[OutputFormat, typer.Option("--format")]
SurfaceOption = Annotated[Surface, typer.Option(help="where the texts appear")]
ListsOption = Annotated[
    Path | None,
    typer.Option(exists=True, file_okay=False, help="an operator list directory, added to ours"),
]


def _lines(path: Path) -> Iterator[str]:
    with path.open(encoding="utf-8") as file:
        for line in file:
            yield line.rstrip("\r\n")


def _moderator(lists: Path | None) -> Moderator:
    from liveshop.moderation.engine import Moderator, default_moderator

    return default_moderator() if lists is None else Moderator((PACKAGED_LISTS, lists))


@moderate_app.command(CHECK_COMMAND)
def moderate_file(
    file: FileArgument,
    output: FormatOption = OutputFormat.TABLE,
    surface: SurfaceOption = Surface.COMMENT,
    lists: ListsOption = None,
) -> None:
    """Print a verdict for every line of FILE: action, categories, masked text."""
    moderator = _moderator(lists)
    for text in _lines(file):
        verdict = moderator.moderate(text, surface=surface)
        if output is OutputFormat.JSON:
            typer.echo(json.dumps(verdict.as_json(), ensure_ascii=False))
        else:
            typer.echo(f"{verdict.action.value}\t{','.join(verdict.categories)}\t{verdict.masked}")


@moderate_app.command("evaluate")
def moderate_evaluate(
    labelled: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="CSV with columns text,label")
    ],
    output: FormatOption = OutputFormat.TABLE,
    surface: SurfaceOption = Surface.COMMENT,
    lists: ListsOption = None,
) -> None:
    """Print precision and recall per category on a labelled CSV."""
    from liveshop.moderation.evaluate import evaluate, read_labelled

    evaluation = evaluate(_moderator(lists), read_labelled(labelled, default_surface=surface))
    if output is OutputFormat.JSON:
        typer.echo(json.dumps(evaluation.as_json(), ensure_ascii=False))
        return
    table = Table(title=f"moderation on {evaluation.examples} labelled texts")
    for column in ("category", "precision", "recall", "support", "false +", "false -"):
        table.add_column(column)
    for score in evaluation.scores:
        table.add_row(
            score.category,
            _percent(score.precision),
            _percent(score.recall),
            str(score.support),
            str(score.false_positives),
            str(score.false_negatives),
        )
    Console().print(table)


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


@compliance_app.command(CHECK_COMMAND)
def compliance_check(file: FileArgument, output: FormatOption = OutputFormat.TABLE) -> None:
    """Check every line of FILE for advertising-law findings (was prices: review)."""
    from liveshop.moderation.compliance import check_copy

    for text in _lines(file):
        report = check_copy(text)
        if output is OutputFormat.JSON:
            typer.echo(json.dumps(report.as_json(), ensure_ascii=False))
            continue
        findings = "; ".join(
            f"{finding.term}@{finding.start}-{finding.end} {finding.category} "
            f"{finding.action.value}"
            for finding in report.findings
        )
        typer.echo(f"{report.action.value}\t{findings}\t{text}")


@compliance_app.command("script")
def compliance_script(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="a script or .srt subtitle file")
    ],
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """Pre-live check of a host's script or subtitles: the cues to fix, with their times."""
    from liveshop.moderation.host_script import check_script

    for cue_report in check_script(file.read_text(encoding="utf-8")):
        if output is OutputFormat.JSON:
            typer.echo(json.dumps(cue_report.as_json(), ensure_ascii=False))
            continue
        cue, report = cue_report.cue, cue_report.report
        terms = ", ".join(f"{finding.term} ({finding.category})" for finding in report.findings)
        typer.echo(f"{cue.start or '-'}\tline {cue.line}\t{report.action.value}\t{terms}")
