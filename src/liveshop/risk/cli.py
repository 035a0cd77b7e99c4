"""``liveshop risk``: simulate a labelled stream, train, score, evaluate, and the
operators' rules. Heavy libraries (numpy, scikit-learn, river) load inside the
commands that need them."""

from __future__ import annotations

import csv
import inspect
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, fields
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from liveshop.core.errors import LiveShopError
from liveshop.core.output import OutputFormat

if TYPE_CHECKING:
    from liveshop.risk.engine import RiskEngine
    from liveshop.risk.model import BehaviourModel
    from liveshop.risk.replay import StreamRow

app = typer.Typer(
    help="Risk control: simulate a labelled stream, train, score, evaluate, rules.",
    no_args_is_help=True,
)
console = Console(stderr=True)  # progress; stdout carries only the report

FileArgument = Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="a CSV stream")]
FormatOption = Annotated[OutputFormat, typer.Option("--format")]
ModelOption = Annotated[
    Path | None, typer.Option("--model", exists=True, dir_okay=False, help="else the current model")
]
RulesOption = Annotated[
    Path | None, typer.Option("--rules", exists=True, dir_okay=False, help="else the shipped rules")
]


@contextmanager
def _progress(label: str, total: int) -> Iterator[Callable[[int], None]]:
    with Progress(
        TextColumn(label),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task(label, total=total)
        yield lambda done: progress.update(task, completed=done)


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except (LiveShopError, ValueError) as error:
        console.print(f"[red]{getattr(error, 'message', str(error))}[/red]")
        raise typer.Exit(1) from error


def _simulate(out: Path, **values: Any) -> None:
    from liveshop.risk.simulate import write_simulation
    from liveshop.risk.simulation import SimulationParams

    with console.status("simulating"):
        rows = write_simulation(SimulationParams(**values), out)
    console.print(f"{rows} rows written to {out}")


def _simulate_command() -> Callable[..., None]:
    """``simulate`` with one option per simulator parameter (``--farm-size`` ...)."""
    from liveshop.risk.simulation import SimulationParams

    defaults = SimulationParams()
    parameters = [
        inspect.Parameter(
            "out",
            inspect.Parameter.KEYWORD_ONLY,
            annotation=Annotated[
                Path, typer.Option("--out", dir_okay=False, help="the CSV to write")
            ],
        )
    ]
    for item in fields(SimulationParams):
        kind = type(getattr(defaults, item.name))
        parameters.append(
            inspect.Parameter(
                item.name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=Annotated[kind, typer.Option(f"--{item.name.replace('_', '-')}")],
                default=getattr(defaults, item.name),
            )
        )

    def simulate(**values: Any) -> None:
        """Write a labelled stream of shop events: shoppers plus injected abuse."""
        _simulate(**values)

    simulate.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    return simulate


app.command("simulate")(_simulate_command())


def _read(path: Path) -> list[StreamRow]:
    from liveshop.risk.replay import read_stream

    with console.status(f"reading {path.name}"):
        return read_stream(path)


def _train(path: Path) -> BehaviourModel:
    from liveshop.risk.evaluation import train_from_rows

    rows = _read(path)
    with _progress("training", len(rows)) as advance:
        return train_from_rows(rows, advance)


@app.command("train")
def train(
    file: FileArgument,
    model_out: Annotated[Path | None, typer.Option("--model-out", dir_okay=False)] = None,
) -> None:
    """Fit the behaviour model on a labelled stream; store it as the current version
    (or at --model-out)."""
    from liveshop.core.settings import get_settings
    from liveshop.risk.model import describe, save_model

    with _errors():
        model = _train(file)
        target = save_model(model, home=get_settings().home, path=model_out)
    console.print(f"model {model.version} stored at {target}")
    typer.echo(describe(model))


def _engine(
    model_path: Path | None, rules_path: Path | None, model: BehaviourModel | None = None
) -> RiskEngine:
    from liveshop.core.settings import get_settings
    from liveshop.risk.engine import RiskEngine
    from liveshop.risk.model import current_model, load_model
    from liveshop.risk.rules import parse_rules

    if model is None:
        model = load_model(model_path) if model_path else current_model(get_settings().home)
    rules = parse_rules(rules_path.read_text(encoding="utf-8")) if rules_path else None
    return RiskEngine(model=model, rules=rules)


@app.command("score")
def score(
    file: FileArgument,
    out: Annotated[Path, typer.Option("--out", dir_okay=False)],
    model: ModelOption = None,
    rules: RulesOption = None,
) -> None:
    """Replay a stream through the engine in time order; one decision per input row
    (a ``label`` column is ignored)."""
    from liveshop.risk.evaluation import score_rows

    with _errors():
        engine = _engine(model, rules)
        rows = _read(file)
        with _progress("scoring", len(rows)) as advance:
            scored = score_rows(engine, rows, advance)
    scored.sort(key=lambda item: item[0].index)
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(("row", "decision", "score", "reasons"))
        for row, assessment, _ in scored:
            writer.writerow(
                (
                    row.index,
                    assessment.decision.value,
                    f"{assessment.score:.6f}",
                    assessment.reason_text(),
                )
            )
    console.print(f"{len(scored)} decisions written to {out}")


@app.command("evaluate")
def evaluate(
    file: FileArgument,
    train_file: Annotated[
        Path | None,
        typer.Option("--train", exists=True, dir_okay=False, help="train on this first"),
    ] = None,
    model: ModelOption = None,
    rules: RulesOption = None,
    shuttle: Annotated[
        bool, typer.Option(help="also the anomaly scores' AUC on river's shuttle")
    ] = False,
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """Recall, precision, false-positive rate, share challenged and latency, per
    pattern and overall, on a labelled stream."""
    from liveshop.risk.evaluation import evaluate_decisions, score_rows

    with _errors():
        trained = _train(train_file) if train_file else None
        engine = _engine(model, rules, trained)
        rows = _read(file)
        with _progress("scoring", len(rows)) as advance:
            report = evaluate_decisions(score_rows(engine, rows, advance))
        report["model_version"] = engine.model.version if engine.model else None
        if shuttle:
            from liveshop.risk.shuttle import compare_on_shuttle

            with console.status("shuttle: isolation forest and HalfSpaceTrees"):
                report["shuttle"] = compare_on_shuttle()
    if output is OutputFormat.JSON:
        typer.echo(json.dumps(report, indent=2))
        return
    _print_report(report)


@app.command("shuttle")
def shuttle(output: FormatOption = OutputFormat.JSON) -> None:
    """The isolation forest's AUC on river's shuttle anomaly set beside river's
    HalfSpaceTrees, in one run (river is a development dependency)."""
    from liveshop.risk.shuttle import compare_on_shuttle

    with _errors(), console.status("shuttle: isolation forest and HalfSpaceTrees"):
        result = compare_on_shuttle()
    typer.echo(json.dumps(result, indent=2) if output is OutputFormat.JSON else _flat(result))


def _flat(result: dict[str, Any]) -> str:
    return "\n".join(f"{key}: {value}" for key, value in result.items())


def _print_report(report: dict[str, Any]) -> None:
    from rich.table import Table

    table = Table(title=f"{report['rows']} rows")
    for column in ("pattern", "rows", "recall", "challenged"):
        table.add_column(column)
    for name, figures in report["patterns"].items():
        table.add_row(
            name,
            str(figures["rows"]),
            f"{figures['recall']:.1%}",
            f"{figures['share_challenged']:.1%}",
        )
    overall = report["overall"]
    Console().print(table)
    Console().print(
        f"overall recall {overall['recall']:.1%}, precision {overall['precision']:.1%}, "
        f"legit false positives {overall['false_positive_rate']:.2%}, "
        f"challenged {overall['share_challenged']:.2%}; latency p50 "
        f"{report['latency_ms']['p50']} ms, p99 {report['latency_ms']['p99']} ms"
    )


_ = asdict


rules_app = typer.Typer(
    help="The operators' rules: show, set (versioned), history, dry-run.", no_args_is_help=True
)
app.add_typer(rules_app, name="rules")


@rules_app.command("show")
def rules_show() -> None:
    """The live rule text and its version."""
    from liveshop.core.db import unit_of_work
    from liveshop.core.settings import get_settings
    from liveshop.risk.rule_store import current_rules

    with unit_of_work(get_settings().resolved_database_url(), writes=False) as session:
        live = current_rules(session)
    console.print(f"version {live.version}")
    typer.echo(live.source)


@rules_app.command("set")
def rules_set(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    author: Annotated[str, typer.Option(help="who is changing the rules")],
    comment: str = "",
) -> None:
    """Store FILE as the next rule version (live within seconds); bad rules change nothing."""
    from liveshop.core.db import unit_of_work
    from liveshop.core.settings import get_settings
    from liveshop.risk.rule_store import save_rules

    with _errors(), unit_of_work(get_settings().resolved_database_url()) as session:
        saved = save_rules(
            session, source=file.read_text(encoding="utf-8"), author=author, comment=comment
        )
        version = saved.version
    console.print(f"rules version {version} is live")


@rules_app.command("history")
def rules_history(output: FormatOption = OutputFormat.TABLE) -> None:
    """Every saved version: who, when, why."""
    from liveshop.core.db import unit_of_work
    from liveshop.core.settings import get_settings
    from liveshop.risk.rule_store import rule_history

    with unit_of_work(get_settings().resolved_database_url(), writes=False) as session:
        rows = [
            {
                "version": item.version,
                "author": item.author,
                "at": item.created_at.isoformat(),
                "comment": item.comment,
            }
            for item in rule_history(session)
        ]
    if output is OutputFormat.JSON:
        typer.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        typer.echo(f"{row['version']:>4}  {row['at']}  {row['author']}  {row['comment']}")


@rules_app.command("dry-run")
def rules_dry_run(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="the candidate rules")],
    days: Annotated[int, typer.Option(min=1, max=90, help="the journal's last N days")] = 7,
    stream: Annotated[
        Path | None,
        typer.Option(exists=True, dir_okay=False, help="a CSV stream instead of the journal"),
    ] = None,
    model: ModelOption = None,
) -> None:
    """What the candidate rules would have done on the last N days of assessed events,
    beside what the live rules did (JSON)."""
    from liveshop.core.db import unit_of_work
    from liveshop.core.settings import get_settings
    from liveshop.risk.dry_run import dry_run
    from liveshop.risk.events import Outcome, RiskEvent
    from liveshop.risk.journal import read_journal
    from liveshop.risk.model import current_model, load_model
    from liveshop.risk.rule_store import current_rules
    from liveshop.risk.rules import parse_rules

    settings = get_settings()
    with _errors():
        candidate = parse_rules(file.read_text(encoding="utf-8"))
        with unit_of_work(settings.resolved_database_url(), writes=False) as session:
            live = current_rules(session)
        behaviour = load_model(model) if model else current_model(settings.home)
        events: list[tuple[RiskEvent, Outcome | None]]
        if stream is not None:
            events = [
                pair
                for row in _read(stream)
                for pair in ((row.event, None), (row.event, row.outcome))
            ]
        else:
            events = list(read_journal(settings.home, days=days))
        with console.status(f"replaying {len(events)} journal lines"):
            report = dry_run(events, live=live, candidate=candidate, model=behaviour)
    typer.echo(json.dumps(report, indent=2))


@app.command("export-training")
def export_training(
    out: Annotated[Path, typer.Option("--out", dir_okay=False)],
    days: Annotated[int, typer.Option(min=1, max=365)] = 30,
) -> None:
    """The journal's last N days as a labelled stream for ``risk train``: each
    assessed event, labelled by the analyst who reviewed its case (legit otherwise)."""
    from liveshop.core.db import unit_of_work
    from liveshop.core.settings import get_settings
    from liveshop.risk.training_export import export_labelled_journal

    settings = get_settings()
    with unit_of_work(settings.resolved_database_url(), writes=False) as session:
        rows, labelled = export_labelled_journal(session, home=settings.home, days=days, out=out)
    console.print(f"{rows} rows ({labelled} labelled by analysts) written to {out}")
