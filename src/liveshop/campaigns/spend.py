"""Ad spend and impressions per day, channel (and creative): CSV or JSON rows.

Our own CSV is ``date, channel, impressions, spend`` (spend in minor units, an
optional ``creative``). The ad platforms' exports name their columns otherwise
and state money in major units; an adapter maps them, and amounts become minor
units exactly (Decimal, never float). Every row is checked before anything is
written: one bad row refuses the whole file (422, with its row numbers), and an
import replaces the rows of the same day, channel and creative (so importing a
corrected export again is safe).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import delete, tuple_
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.campaigns.models import SpendRow
from liveshop.campaigns.schemas import SpendImportOut, SpendRowIn, normalise_channel
from liveshop.campaigns.service import managed_campaign
from liveshop.core.errors import InvalidInput

MINOR_UNITS_PER_MAJOR = 100  # CNY, USD, EUR: two decimals
MAX_ERRORS_SHOWN = 20
HEADER_SEARCH_ROWS = 5  # Google Ads puts a title and a date range above the header
TOTAL_ROW = re.compile(r"^\s*(total|合计|总计)", re.IGNORECASE)


@dataclass(frozen=True)
class Adapter:
    """Which columns an export uses; money in major units unless ``minor_units``."""

    name: str
    date: tuple[str, ...]
    impressions: tuple[str, ...]
    spend: tuple[str, ...]
    channel: tuple[str, ...] = ()
    creative: tuple[str, ...] = ()
    default_channel: str | None = None
    minor_units: bool = False


ADAPTERS = (
    Adapter(
        "liveshop",
        date=("date",),
        impressions=("impressions",),
        spend=("spend",),
        channel=("channel",),
        creative=("creative",),
        minor_units=True,
    ),
    Adapter(
        "facebook",
        date=("day", "reporting starts"),  # "Day" with a daily breakdown: the row's own day
        impressions=("impressions",),
        spend=("amount spent (cny)", "amount spent (usd)", "amount spent (eur)", "amount spent"),
        creative=("ad name",),
        default_channel="facebook",
    ),
    Adapter(
        "google",
        date=("day",),
        impressions=("impr.", "impressions"),
        spend=("cost",),
        creative=("ad", "ad group"),
        default_channel="google",
    ),
    Adapter(
        "tiktok",
        date=("date", "by day", "stat_time_day"),  # Ads Manager's report, or the API's rows
        impressions=("impressions",),
        spend=("cost", "spend"),
        creative=("ad name", "ad_name"),
        default_channel="tiktok",
    ),
    Adapter(
        "douyin",
        date=("日期", "时间"),
        impressions=("展示数", "展示次数", "展现数"),
        spend=("消耗", "消耗(元)", "消耗（元）", "花费", "花费(元)"),
        creative=("创意名称", "创意"),
        default_channel="douyin",
    ),
)
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%m/%d/%Y", "%Y%m%d", "%Y年%m月%d日")


def _find(header: Sequence[str], names: tuple[str, ...]) -> int | None:
    lowered = [cell.strip().lstrip("\ufeff").lower() for cell in header]
    for name in names:
        if name in lowered:
            return lowered.index(name)
    return None


def detect(rows: list[list[str]]) -> tuple[Adapter, int]:
    """The adapter whose columns the header has, and the header's row index."""
    for index, header in enumerate(rows[:HEADER_SEARCH_ROWS]):
        for adapter in ADAPTERS:
            if all(
                _find(header, names) is not None
                for names in (adapter.date, adapter.impressions, adapter.spend)
            ):
                return adapter, index
    raise InvalidInput(
        "unknown columns: expected date, channel, impressions, spend (minor units), or a "
        "Facebook Ads, Google Ads or Ocean Engine (巨量引擎) export",
        code="spend_columns_unknown",
    )


def parse_day(value: str) -> date:
    text = value.strip()
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date()  # noqa: DTZ007 - a calendar day
        except ValueError:
            continue
    raise ValueError(f"date {value!r} is not a day (2026-12-06)")


def parse_count(value: str) -> int:
    text = value.strip().replace(",", "")
    if not re.fullmatch(r"[0-9]{1,15}", text):
        raise ValueError(f"{value!r} is not a whole number")
    return int(text)


def parse_major_units(value: str) -> int:
    """``"1,234.56"`` -> 123456, exactly; more than two decimals is refused."""
    text = value.strip().replace(",", "").removeprefix("¥").removeprefix("$").strip()
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{value!r} is not an amount") from None
    minor = amount * MINOR_UNITS_PER_MAJOR
    if not amount.is_finite() or minor != minor.to_integral_value() or amount < 0:
        raise ValueError(f"{value!r} is not an amount of at most two decimals")
    return int(minor)


def rows_from_csv(text: str, *, channel: str | None) -> tuple[list[SpendRowIn], str]:
    try:
        table = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    except csv.Error as error:
        raise InvalidInput(f"not a CSV file: {error}", code="spend_not_csv") from None
    if not table:
        raise InvalidInput("the file has no rows", code="spend_empty")
    adapter, header_at = detect(table)
    header = table[header_at]
    columns = {
        "date": _find(header, adapter.date),
        "impressions": _find(header, adapter.impressions),
        "spend": _find(header, adapter.spend),
        "channel": _find(header, adapter.channel) if adapter.channel else None,
        "creative": _find(header, adapter.creative) if adapter.creative else None,
    }
    rows: list[SpendRowIn] = []
    errors: list[str] = []
    for number, cells in enumerate(table[header_at + 1 :], start=header_at + 2):
        if cells and TOTAL_ROW.match(cells[0]):
            continue  # exports end with totals
        try:
            rows.append(_row(cells, columns, adapter, channel))
        except (ValueError, IndexError) as error:
            errors.append(f"row {number}: {_message(error)}")
    _refuse(errors)
    if not rows:
        raise InvalidInput("the file has a header and no rows", code="spend_empty")
    return rows, adapter.name


def _message(error: Exception) -> str:
    if isinstance(error, IndexError):
        return "too few columns"
    return str(error).splitlines()[0] if str(error) else type(error).__name__


def _cell(cells: list[str], index: int | None) -> str:
    return cells[index] if index is not None else ""


def _row(
    cells: list[str], columns: dict[str, int | None], adapter: Adapter, channel: str | None
) -> SpendRowIn:
    raw_spend = _cell(cells, columns["spend"])
    named_channel = _cell(cells, columns["channel"]).strip()
    chosen = named_channel or channel or adapter.default_channel
    if not chosen:
        raise ValueError("no channel: add a channel column or ?channel=")
    return SpendRowIn(
        date=parse_day(_cell(cells, columns["date"])),
        channel=normalise_channel(chosen),
        impressions=parse_count(_cell(cells, columns["impressions"])),
        spend=parse_count(raw_spend) if adapter.minor_units else parse_major_units(raw_spend),
        creative=_cell(cells, columns["creative"]).strip()[:80],
    )


def _refuse(errors: list[str]) -> None:
    if errors:
        shown = "; ".join(errors[:MAX_ERRORS_SHOWN])
        more = (
            f" (and {len(errors) - MAX_ERRORS_SHOWN} more)"
            if len(errors) > MAX_ERRORS_SHOWN
            else ""
        )
        raise InvalidInput(f"nothing imported: {shown}{more}", code="spend_rows_invalid")


def import_spend(
    session: Session,
    *,
    actor: User,
    campaign_id: int,
    rows: Sequence[SpendRowIn],
    source_format: str,
) -> SpendImportOut:
    """Check every row against the campaign, then replace and write them all."""
    campaign = managed_campaign(session, actor=actor, campaign_id=campaign_id)
    errors = [
        f"row {number}: channel {row.channel!r} is not one of the campaign's"
        for number, row in enumerate(rows, start=1)
        if row.channel not in campaign.channels
    ]
    keys = [(row.date, row.channel, row.creative) for row in rows]
    seen: set[tuple[date, str, str]] = set()
    for number, key in enumerate(keys, start=1):
        if key in seen:
            errors.append(f"row {number}: a second row for {key[0]}, {key[1]} {key[2]}".rstrip())
        seen.add(key)
    _refuse(errors)
    session.execute(
        delete(SpendRow).where(
            SpendRow.campaign_id == campaign.id,
            tuple_(SpendRow.day, SpendRow.channel, SpendRow.creative).in_(keys),
        )
    )
    session.add_all(
        SpendRow(
            campaign_id=campaign.id,
            day=row.date,
            channel=row.channel,
            creative=row.creative,
            impressions=row.impressions,
            spend=row.spend,
        )
        for row in rows
    )
    session.flush()
    return SpendImportOut(
        rows=len(rows),
        impressions=sum(row.impressions for row in rows),
        spend=sum(row.spend for row in rows),
        source_format=source_format,
    )
