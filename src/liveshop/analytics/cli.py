"""``liveshop analyze``: the reports over a log file or the platform's event store."""

from __future__ import annotations

import functools
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import orjson
import typer

from liveshop.analytics.engines import EngineName
from liveshop.analytics.money_units import with_money_units
from liveshop.analytics.profiles import build_profiles
from liveshop.analytics.reports.common import EPOCH, TimeWindow, parse_duration
from liveshop.analytics.reports.engagement import engagement
from liveshop.analytics.reports.funnel import FunnelBy, FunnelMode, funnel
from liveshop.analytics.reports.retention import Cohort, Period, retention
from liveshop.analytics.reports.session_report import session_report
from liveshop.analytics.reports.top_products import top_products
from liveshop.core.errors import LiveShopError
from liveshop.core.output import OutputFormat

if TYPE_CHECKING:  # the engines, DuckDB, Arrow and rich are imported when a report runs
    from rich.console import Console
    from rich.table import Table

    from liveshop.analytics.engines import Engine

app = typer.Typer(help="Behaviour reports on DuckDB or Spark.", no_args_is_help=True)


@functools.cache
def stderr_console() -> Console:
    """Progress and bad rows go here; standard output carries only the report."""
    from rich.console import Console

    return Console(stderr=True)


def stdout_console() -> Console:
    from rich.console import Console

    return Console()


LogArgument = Annotated[
    str | None,
    typer.Argument(
        help="CSV/JSONL/Parquet log, a folder or a glob of them; the store if absent",
        show_default=False,
    ),
]
DateOption = Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d"])]
EngineOption = Annotated[EngineName, typer.Option("--engine")]
FormatOption = Annotated[OutputFormat, typer.Option("--format")]
MapOption = Annotated[list[str] | None, typer.Option("--map", help="log_name=our_name")]
StrictOption = Annotated[bool, typer.Option(help="stop at the first bad row")]
OpenUntilOption = Annotated[
    datetime | None,
    typer.Option(
        "--open-until",
        formats=["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"],
        help="UTC: viewers who joined and did not leave are present until then",
    ),
]


@contextmanager
def open_engine(
    log: str | None, *, engine: EngineName, mapping: list[str] | None, strict: bool
) -> Iterator[Engine]:
    """The events of ``log`` (read with a progress display) or of the store, on an engine."""
    from liveshop.events.row_checks import parse_mapping

    try:
        opened = _open(log, engine=engine, mapping=parse_mapping(mapping or []), strict=strict)
    except LiveShopError as error:
        stderr_console().print(f"[red]{error.message}[/red]")
        raise typer.Exit(1) from error
    try:
        yield opened
        _print_log_report(opened)
    except LiveShopError as error:
        stderr_console().print(f"[red]{error.message}[/red]")
        raise typer.Exit(1) from error
    finally:
        opened.close()


# A log this big shows its progress even when standard error is not a terminal.
LARGE_LOG_BYTES = 256 * 1024 * 1024


def _open(log: str | None, *, engine: EngineName, mapping: dict[str, str], strict: bool) -> Engine:
    from liveshop.analytics.engines import DuckDBEngine, SparkEngine, start_spark
    from liveshop.analytics.log_view import LogEngine
    from liveshop.events.log_scan import resolve_log_files

    if log is None:
        from liveshop.core.settings import get_settings

        if engine is EngineName.DUCKDB:
            return DuckDBEngine.for_store(get_settings().event_store_path())
        return SparkEngine.for_table(start_spark(cores=2), _store_table())
    files = resolve_log_files(log)
    shown = sys.stderr.isatty() or files.size >= LARGE_LOG_BYTES
    opened = LogEngine.open(log, mapping=mapping, strict=strict)
    opened.progress = _progress_bar(files.name) if shown else None
    if engine is EngineName.DUCKDB:
        return opened
    try:  # Spark is given the same checked rows DuckDB reports on
        events = opened.events_table()
        _print_log_report(opened)
    finally:
        opened.close()
    return SparkEngine.for_table(start_spark(cores=2), events)


def _print_log_report(opened: Engine) -> None:
    """Bad and skipped rows of a log, told on standard error once it was read."""
    report = getattr(opened, "report", None)
    if report is not None and (report.bad_rows or report.skipped_rows):
        from liveshop.events.cli import print_load_report

        print_load_report(report, to=stderr_console())


def _progress_bar(name: str) -> Callable[[float], None]:
    """A rich progress bar on standard error, shown from the first tick to the last."""
    from rich.progress import (
        BarColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=stderr_console(),
    )
    task = progress.add_task(f"reading {name}", total=1.0)

    def advance(share: float) -> None:
        if not progress.live.is_started:
            progress.start()
        progress.update(task, completed=share)
        if share >= 1.0:
            progress.stop()

    return advance


def _store_table() -> Any:
    from liveshop.core.settings import get_settings
    from liveshop.events.store import ANALYTICS_QUERY, connect_store

    connection = connect_store(get_settings().event_store_path())
    try:
        return connection.sql(ANALYTICS_QUERY).to_arrow_table()
    finally:
        connection.close()


def _window(start: datetime | None, end: datetime | None) -> TimeWindow:
    return TimeWindow.from_dates(start.date() if start else None, end.date() if end else None)


def _print(result: Any, output: OutputFormat, table: Callable[[], Table]) -> None:
    """JSON or the table; money keys say their unit in both (``gmv_minor_units``)."""
    if output is OutputFormat.JSON:
        typer.echo(orjson.dumps(with_money_units(result), option=orjson.OPT_INDENT_2).decode())
    else:
        stdout_console().print(table())


def _table(title: str, rows: list[Any]) -> Table:
    """A rich table of a list of flat dataclasses (nested lists are left out)."""
    from rich.table import Table

    table = Table(title=title)
    dicts = [with_money_units(row) for row in rows]
    columns = [
        key for key, value in (dicts[0].items() if dicts else []) if not isinstance(value, list)
    ]
    for column in columns:
        table.add_column(column)
    for row in dicts:
        table.add_row(*(_cell(row[column]) for column in columns))
    return table


def _cell(value: object) -> str:
    return f"{value:.4f}" if isinstance(value, float) else "" if value is None else str(value)


@app.command("top-products")
def top_products_command(
    log: LogArgument = None,
    start: DateOption = None,
    end: DateOption = None,
    event_type: Annotated[str, typer.Option()] = "view",
    top: Annotated[int, typer.Option(min=1)] = 10,
    engine: EngineOption = EngineName.DUCKDB,
    output: FormatOption = OutputFormat.TABLE,
    mapping: MapOption = None,
    strict: StrictOption = False,
) -> None:
    """The most visited products in [start, end + 1 day)."""
    with open_engine(log, engine=engine, mapping=mapping, strict=strict) as opened:
        result = top_products(opened, window=_window(start, end), event_type=event_type, top=top)
    _print(result, output, lambda: _table(f"top products by {event_type}", result))


@app.command("funnel")
def funnel_command(
    log: LogArgument = None,
    steps: Annotated[str, typer.Option(help="comma-separated event types")] = (
        "view,click,cart,purchase"
    ),
    window: Annotated[str, typer.Option(help="conversion window, e.g. 30m, 1h, 7d")] = "1d",
    by: Annotated[FunnelBy | None, typer.Option()] = None,
    mode: Annotated[FunnelMode, typer.Option()] = FunnelMode.ORDERED,
    exclude: Annotated[str | None, typer.Option(help="users doing this event drop out")] = None,
    start: DateOption = None,
    end: DateOption = None,
    engine: EngineOption = EngineName.DUCKDB,
    output: FormatOption = OutputFormat.TABLE,
    mapping: MapOption = None,
    strict: StrictOption = False,
) -> None:
    """Conversion through the steps, per user, within the window from the first step."""
    with open_engine(log, engine=engine, mapping=mapping, strict=strict) as opened:
        result = funnel(
            opened,
            steps=[step.strip() for step in steps.split(",") if step.strip()],
            window=_window(start, end),
            window_seconds=parse_duration(window),
            mode=mode,
            by=by,
            exclude=exclude,
        )
    table = functools.partial(_table, f"funnel ({mode.value})", result.steps)
    _print(result if by else {"steps": result.steps}, output, table)
    if output is OutputFormat.TABLE:
        for group in result.groups or []:
            stdout_console().print(_table(f"{by}: {group.group}", group.steps))


@app.command("session-report")
def session_report_command(
    log: LogArgument = None,
    room: Annotated[str, typer.Option(help="the room id as in the events")] = "",
    start: DateOption = None,
    end: DateOption = None,
    open_until: OpenUntilOption = None,
    engine: EngineOption = EngineName.DUCKDB,
    output: FormatOption = OutputFormat.TABLE,
    mapping: MapOption = None,
    strict: StrictOption = False,
) -> None:
    """GMV, audience, per-product sales and a minute timeline of one room. With
    ``--open-until`` (UTC), a viewer who joined and has not left is present until then,
    as the dashboard's report has them (it passes now for a live room, its end once ended)."""
    if not room:
        stderr_console().print("[red]--room is required[/red]")
        raise typer.Exit(2)
    until_us = None
    if open_until is not None:
        until_us = (open_until.replace(tzinfo=UTC) - EPOCH) // timedelta(microseconds=1)
    with open_engine(log, engine=engine, mapping=mapping, strict=strict) as opened:
        report = session_report(
            opened, room_id=room, window=_window(start, end), open_until_us=until_us
        )
    summary = {k: v for k, v in asdict(report).items() if not isinstance(v, list)}
    _print(report, output, lambda: _table(f"room {room}", [summary]))
    if output is OutputFormat.TABLE:
        stdout_console().print(_table("products", report.products))
        stdout_console().print(_table("timeline", report.timeline))


@app.command("engagement")
def engagement_command(
    log: LogArgument = None,
    start: DateOption = None,
    end: DateOption = None,
    engine: EngineOption = EngineName.DUCKDB,
    output: FormatOption = OutputFormat.TABLE,
    mapping: MapOption = None,
    strict: StrictOption = False,
) -> None:
    """Conversion by engagement level, the lift of engaged viewers, decision stages."""
    with open_engine(log, engine=engine, mapping=mapping, strict=strict) as opened:
        report = engagement(opened, window=_window(start, end))
    _print(report, output, lambda: _table("conversion by engagement", report.levels))
    if output is OutputFormat.TABLE:
        stdout_console().print(_table("lift (engaged / silent)", [report.lift]))
        stdout_console().print(
            f"correlation interactions~spend: {report.correlation_interactions_spend}"
        )
        stdout_console().print(_table("decision stages", report.stages))


@app.command("retention")
def retention_command(
    log: LogArgument = None,
    period: Annotated[Period, typer.Option()] = Period.WEEK,
    start: DateOption = None,
    end: DateOption = None,
    engine: EngineOption = EngineName.DUCKDB,
    output: FormatOption = OutputFormat.TABLE,
    mapping: MapOption = None,
    strict: StrictOption = False,
) -> None:
    """Cohort retention table by first active day or week."""
    with open_engine(log, engine=engine, mapping=mapping, strict=strict) as opened:
        cohorts = retention(opened, window=_window(start, end), period=period)
    _print(cohorts, output, lambda: _retention_table(cohorts, period))


def _retention_table(cohorts: list[Cohort], period: Period) -> Table:
    from rich.table import Table

    table = Table(title=f"retention by {period.value}")
    table.add_column("cohort")
    table.add_column("size")
    width = max((len(cohort.rates) for cohort in cohorts), default=0)
    for offset in range(width):
        table.add_column(f"+{offset}")
    for cohort in cohorts:
        rates = [f"{rate:.0%}" for rate in cohort.rates]
        table.add_row(cohort.cohort.isoformat(), str(cohort.size), *rates)
    return table


profiles_app = typer.Typer(help="User profiles (用户画像), RFM and segments.", no_args_is_help=True)


@profiles_app.command("build")
def profiles_build_command(
    log: LogArgument = None,
    as_of: DateOption = None,
    out: Annotated[Path | None, typer.Option(help="FILE.parquet or FILE.csv")] = None,
    engine: EngineOption = EngineName.DUCKDB,
    output: FormatOption = OutputFormat.TABLE,
    mapping: MapOption = None,
    strict: StrictOption = False,
) -> None:
    """One profile per user with RFM scores; missing values are counted."""
    with open_engine(log, engine=engine, mapping=mapping, strict=strict) as opened:
        result = build_profiles(opened, as_of=(as_of or datetime.now(UTC)).date())
    if out is not None:
        write_profiles(result.rows, out)
    segments = Counter(str(row["rfm_segment"]) for row in result.rows if row["rfm_segment"])
    summary = {
        "users": len(result.rows),
        "missing": result.missing,
        "rfm_segments": dict(sorted(segments.items())),
        **({"profiles": result.rows} if out is None else {"written_to": str(out)}),
    }
    counted = [{"segment": k, "users": v} for k, v in sorted(segments.items())]
    _print(summary, output, lambda: _table("RFM segments", counted))
    if output is OutputFormat.TABLE:
        stdout_console().print(f"{len(result.rows):,} users; missing values: {result.missing}")


def write_profiles(rows: list[dict[str, Any]], out: Path) -> None:
    import pyarrow as pa  # type: ignore[import-untyped]
    import pyarrow.csv as pa_csv  # type: ignore[import-untyped]
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    table = pa.Table.from_pylist(rows)
    if out.suffix.lower() == ".csv":
        pa_csv.write_csv(table, out)
    else:
        pq.write_table(table, out)


def read_profiles(path: Path) -> list[dict[str, Any]]:
    import pyarrow as pa
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq

    if path.suffix.lower() == ".csv":
        options = pa_csv.ConvertOptions(column_types={"user_id": pa.string()})
        return list(pa_csv.read_csv(path, convert_options=options).to_pylist())
    return list(pq.read_table(path).to_pylist())


@profiles_app.command("segment")
def profiles_segment_command(
    profiles: Annotated[Path, typer.Argument(exists=True, help="written by profiles build --out")],
    k: Annotated[str, typer.Option(help="number of segments, or auto (best silhouette)")] = "auto",
    seed: Annotated[int, typer.Option()] = 0,
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """k-means segments of the profiles, each described by what sets it apart."""
    from liveshop.analytics.segments import segment_profiles  # scikit-learn: only here

    if k != "auto" and not k.isdigit():
        stderr_console().print("[red]--k is a number or auto[/red]")
        raise typer.Exit(2)
    try:
        result = segment_profiles(
            read_profiles(profiles), k=None if k == "auto" else int(k), seed=seed
        )
    except LiveShopError as error:
        stderr_console().print(f"[red]{error.message}[/red]")
        raise typer.Exit(1) from error
    shown = {"k": result.k, "silhouette": result.silhouette, "segments": result.segments}
    rows = [
        {"segment": s.segment, "size": s.size, "description": s.description}
        for s in result.segments
    ]
    title = f"{result.k} segments (silhouette {result.silhouette:.3f})"
    _print(shown, output, lambda: _table(title, rows))
