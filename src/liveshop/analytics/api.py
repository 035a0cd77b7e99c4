"""Analytics for merchants, hosts and admins, over the platform's event store.

Every query runs on a DuckDB view of the store narrowed to the caller's scope
before any report SQL sees it:

- an admin sees every event;
- a merchant (owner or staff of a shop) sees the events that name one of the
  shop's products, nothing else: no other shop's clicks, carts or sales;
- a host sees the events of the rooms they host.

Customers (for profiles and segments) are the users with a purchase inside that
scope, profiled from the scoped events only, and for anyone but an admin their
pseudonymous ids are pseudonymised once more per scope, so two merchants cannot
join their customer lists.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sqlalchemy.orm import Session

from liveshop.accounts.dependencies import CurrentUser
from liveshop.accounts.models import User
from liveshop.analytics import access
from liveshop.analytics.engines import DuckDBEngine
from liveshop.analytics.money_units import with_money_units
from liveshop.analytics.profiles import build_profiles
from liveshop.analytics.report_cache import ReportCache
from liveshop.analytics.reports.common import (
    EPOCH,
    PURCHASE_TYPES,
    TimeWindow,
    is_type,
    parse_duration,
)
from liveshop.analytics.reports.funnel import FunnelMode, FunnelSpec, funnel
from liveshop.analytics.reports.session_report import session_report
from liveshop.analytics.reports.top_products import top_products
from liveshop.catalog import service as catalog
from liveshop.core.clock import utcnow
from liveshop.core.dependencies import MAX_ROW_ID, DbSession, RowId, SettingsDep
from liveshop.core.errors import InvalidInput, NotFound
from liveshop.core.settings import Settings
from liveshop.events.store import ANALYTICS_QUERY, connect_store
from liveshop.live import service as live
from liveshop.live.models import Room, RoomStatus
from liveshop.live.room_pages import rooms_page

router = APIRouter(prefix="/api/analytics", tags=["analytics"])

MAX_HOST_ROOMS = 10_000
MAX_PROFILES_RETURNED = 500
EVENT_TYPE_PATTERN = r"^[a-z_]{1,32}$"
MIN_DATE, MAX_DATE = date(1970, 1, 1), date(2999, 12, 31)  # epoch microseconds stay in range
MAX_FUNNEL_WINDOW_SECONDS = 366 * 86_400
SEGMENTS_TTL_SECONDS = 60.0  # k-means with silhouette takes seconds: not on every refresh
MAX_CACHED_SEGMENTS = 256  # (scope, k, day) combinations kept per worker
GONE_PRODUCT = "已删除的商品"


@dataclass(frozen=True)
class Scope:
    """Which events a caller may read: all (admin), or those of some products or rooms."""

    name: str  # "all", "shop:<id>" or "host:<id>"
    product_ids: tuple[int, ...] | None = None
    room_ids: tuple[int, ...] | None = None
    within_room: int | None = None  # and only this room's events (own products or none)

    @property
    def is_all(self) -> bool:
        return self.product_ids is None and self.room_ids is None

    def condition(self) -> str:
        """A SQL condition on the flat event view (ids are integers: no quoting issues)."""
        if self.within_room is not None:
            room = f"room_id = '{int(self.within_room)}'"
            if self.product_ids is None:
                return room
            ids = ", ".join(f"'{int(i)}'" for i in self.product_ids) or "NULL"
            return f"{room} AND (product_id IS NULL OR product_id IN ({ids}))"
        if self.is_all:
            return "1 = 1"
        parts = []
        if self.product_ids is not None:
            ids = ", ".join(f"'{int(i)}'" for i in self.product_ids)
            parts.append(f"product_id IN ({ids})" if ids else "1 = 0")
        if self.room_ids is not None:
            ids = ", ".join(f"'{int(i)}'" for i in self.room_ids)
            parts.append(f"room_id IN ({ids})" if ids else "1 = 0")
        return " OR ".join(parts)


def scope_for(session: Session, user: User) -> Scope:
    access.require_analyst(user)
    if access.reads_every_event(user):
        return Scope(name="all")
    if access.reads_a_shops_events(user):
        shop = catalog.shop_of(session, user=user)
        if shop is None:
            return Scope(name=f"merchant:{user.id}", product_ids=())
        return Scope(name=f"shop:{shop.id}", product_ids=access.shop_product_ids(session, shop.id))
    rooms = live.list_rooms(session, limit=MAX_HOST_ROOMS)
    return Scope(
        name=f"host:{user.id}", room_ids=tuple(r.id for r in rooms if r.host.id == user.id)
    )


def scoped_engine(
    settings: Settings, scope: Scope, *, customers_only: bool = False
) -> DuckDBEngine:
    """The store as the ``events`` view, narrowed to ``scope`` (and to its buyers)."""
    connection = connect_store(settings.event_store_path())
    try:
        scoped = f"SELECT * FROM ({ANALYTICS_QUERY}) store WHERE {scope.condition()}"
        if customers_only:
            connection.execute(f"CREATE OR REPLACE TEMP VIEW scoped AS {scoped}")
            scoped = (
                "SELECT * FROM scoped WHERE user_id IN "
                f"(SELECT user_id FROM scoped WHERE {is_type(PURCHASE_TYPES)})"
            )
        connection.execute(f"CREATE OR REPLACE TEMP VIEW events AS {scoped}")
    except Exception:
        connection.close()
        raise
    return DuckDBEngine(connection)


def _check_date(day: date | None, name: str) -> None:
    if day is not None and not MIN_DATE <= day <= MAX_DATE:
        raise InvalidInput(f"{name} must be between {MIN_DATE} and {MAX_DATE}")


def _window(start: date | None, end: date | None) -> TimeWindow:
    _check_date(start, "start")
    _check_date(end, "end")
    if start is not None and end is not None and end < start:
        raise InvalidInput("end is before start")
    return TimeWindow.from_dates(start, end)


@router.get("/rooms")
def report_rooms(
    user: CurrentUser,
    session: DbSession,
    q: Annotated[str, Query(max_length=80, description="words of the title")] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    """The rooms whose reports the caller reads (an admin's every room, a host's own, a
    merchant's rooms with the shop's products on the shelf), newest first, a page at a
    time: ``{"rooms": [{"id", "title", "status", "scheduled_at", "started_at",
    "ended_at"}], "total", "page", "pages", "per_page"}``."""
    selection = access.report_rooms(session, user)
    listed = rooms_page(session, selection=selection, title=q, page=page, per_page=per_page)
    return asdict(listed)


def product_titles(session: Session, product_ids: set[str]) -> dict[str, str]:
    """Each product's title as people know it (a deleted product says so; an imported
    log's product that is not one of ours keeps its own name)."""
    titles = {}
    for product_id in product_ids:
        if not (product_id.isascii() and product_id.isdigit() and int(product_id) <= MAX_ROW_ID):
            titles[product_id] = product_id
            continue
        try:
            titles[product_id] = catalog.get_product(session, product_id=int(product_id)).title
        except NotFound:
            titles[product_id] = GONE_PRODUCT
    return titles


def open_sessions_until(room: Room, window: TimeWindow) -> int | None:
    """Until when a viewer who joined and has not left is present: now while the room is
    live, its end once it ended (never past the window's end)."""
    if room.status is RoomStatus.LIVE:
        moment = utcnow()
    elif room.ended_at is not None:
        moment = room.ended_at
    else:
        return None
    until = (moment - EPOCH) // timedelta(microseconds=1)
    return until if window.end_us is None else min(until, window.end_us)


@router.get("/rooms/{room_id}/report")
def room_report(
    room_id: RowId,
    user: CurrentUser,
    session: DbSession,
    settings: SettingsDep,
    start: date | None = None,
    end: date | None = None,
) -> dict[str, Any]:
    """The session report of a room: for its host, a merchant with products on its
    shelf (product lines limited to that merchant's products), or an admin. Money is
    in minor units and its keys say so (``gmv_minor_units``, ``gpm_minor_units``);
    each product line has its ``title``."""
    room, own_products = access.require_room_report_reader(session, user=user, room_id=room_id)
    window = _window(start, end)
    engine = scoped_engine(settings, Scope(name="all"))
    try:
        report = asdict(
            session_report(
                engine,
                room_id=str(room_id),
                window=window,
                open_until_us=open_sessions_until(room, window),
            )
        )
    finally:
        engine.close()
    if own_products is not None:
        report["products"] = [
            line for line in report["products"] if int(line["product_id"]) in own_products
        ]
    titles = product_titles(session, {str(line["product_id"]) for line in report["products"]})
    for line in report["products"]:
        line["title"] = titles[str(line["product_id"])]
    report["title"] = room.title
    shown: dict[str, Any] = with_money_units(report)
    return shown


@router.get("/top-products")
def top_products_report(
    user: CurrentUser,
    session: DbSession,
    settings: SettingsDep,
    start: date | None = None,
    end: date | None = None,
    event_type: Annotated[str, Query(pattern=EVENT_TYPE_PATTERN)] = "view",
    top: Annotated[int, Query(ge=1, le=100)] = 10,
) -> list[dict[str, Any]]:
    """``[{"product_id", "title", "count"}]``, highest count first, within the caller's
    scope."""
    scope = scope_for(session, user)
    engine = scoped_engine(settings, scope)
    try:
        rows = top_products(engine, window=_window(start, end), event_type=event_type, top=top)
    finally:
        engine.close()
    titles = product_titles(session, {str(row.product_id) for row in rows})
    return [asdict(row) | {"title": titles[str(row.product_id)]} for row in rows]


@router.get("/funnel")
def funnel_report(
    user: CurrentUser,
    session: DbSession,
    settings: SettingsDep,
    steps: Annotated[str, Query(max_length=200)] = "view,product_click,cart,purchase",
    window: Annotated[str, Query(max_length=10)] = "1h",
    mode: FunnelMode = FunnelMode.ORDERED,
    start: date | None = None,
    end: date | None = None,
    room_id: Annotated[int | None, Query(ge=1, le=MAX_ROW_ID)] = None,
) -> dict[str, Any]:
    """Per-user conversion through ``steps`` within the caller's scope; with ``room_id``,
    in that room (for whoever may read its report; a merchant's funnel there counts the
    room's events without a product and those of their own products)."""
    names = [step.strip() for step in steps.split(",") if step.strip()]
    if not 2 <= len(names) <= 8 or any(not _is_event_type(name) for name in names):
        raise InvalidInput("steps: two to eight event types, e.g. view,product_click,purchase")
    seconds = parse_duration(window)
    if seconds > MAX_FUNNEL_WINDOW_SECONDS:
        raise InvalidInput("the conversion window is at most 366 days")
    FunnelSpec(steps=names, window_seconds=seconds, mode=mode, exclude=None)  # checks the steps
    if room_id is not None:
        _room, own = access.require_room_report_reader(session, user=user, room_id=room_id)
        scope = Scope(
            name=f"room:{room_id}",
            product_ids=tuple(sorted(own)) if own is not None else None,
            within_room=room_id,
        )
    else:
        scope = scope_for(session, user)
    engine = scoped_engine(settings, scope)
    try:
        result = funnel(
            engine, steps=names, window=_window(start, end), window_seconds=seconds, mode=mode
        )
    finally:
        engine.close()
    return {"steps": [asdict(step) for step in result.steps]}


def _is_event_type(name: str) -> bool:
    return name.isascii() and 1 <= len(name) <= 32 and all(c.islower() or c == "_" for c in name)


def _scoped_id(scope: Scope, user_id: str, secret_key: str) -> str:
    digest = hmac.new(secret_key.encode(), f"{scope.name}:{user_id}".encode(), hashlib.sha256)
    return "c_" + digest.hexdigest()[:20]


def customer_segments(
    settings: Settings, scope: Scope, *, k: int | None, as_of: date
) -> dict[str, Any]:
    """Profiles, RFM and k-means segments of the scope's customers (buyers in scope)."""
    engine = scoped_engine(settings, scope, customers_only=True)
    try:
        profiles = build_profiles(engine, as_of=as_of)
    finally:
        engine.close()
    rows = profiles.rows
    # Imported here: scikit-learn takes seconds to import, and the app should not wait.
    from liveshop.analytics.segments import segment_profiles

    segmentation = segment_profiles(rows, k=k) if len(rows) >= 3 else None
    secret = settings.resolved_secret_key()

    def shown(user_id: Any) -> str:
        return str(user_id) if scope.is_all else _scoped_id(scope, str(user_id), secret)

    labels = segmentation.labels if segmentation else {}
    return {
        "customers": len(rows),
        "missing": profiles.missing,
        "k": segmentation.k if segmentation else None,
        "silhouette": segmentation.silhouette if segmentation else None,
        "segments": [asdict(s) for s in segmentation.segments] if segmentation else [],
        "profiles": [
            {**row, "user_id": shown(row["user_id"]), "segment": labels.get(str(row["user_id"]))}
            for row in rows[:MAX_PROFILES_RETURNED]
        ],
        "profiles_truncated": len(rows) > MAX_PROFILES_RETURNED,
    }


def segments_cache(request: Request) -> ReportCache[dict[str, Any]]:
    """The app's cache of segment reports, made on first use (one per app, so tests
    stay apart); its data version is the count of purchases the recorder stored."""
    state = request.app.state
    cache: ReportCache[dict[str, Any]] | None = getattr(state, "segments_cache", None)
    if cache is None:
        recorder = state.recorder
        cache = state.segments_cache = ReportCache(
            ttl_seconds=SEGMENTS_TTL_SECONDS,
            max_entries=MAX_CACHED_SEGMENTS,
            data_version=lambda: recorder.purchases_written,
        )
    return cache


@router.get("/segments")
def segments_report(
    request: Request,
    user: CurrentUser,
    session: DbSession,
    settings: SettingsDep,
    k: Annotated[int | None, Query(ge=2, le=8)] = None,
    as_of: date | None = None,
) -> dict[str, Any]:
    """Profiles, RFM and k-means segments of the caller's own customers (buyers in scope),
    computed at most once per ``SEGMENTS_TTL_SECONDS`` unless new purchases land."""
    _check_date(as_of, "as_of")
    scope = scope_for(session, user)
    day = as_of or utcnow().date()
    return segments_cache(request).get_or_compute(
        (scope, k, day), lambda: customer_segments(settings, scope, k=k, as_of=day)
    )
