"""Audiences: a shop's customer segments, lookalikes, hashed exports, targeted pushes
with a random holdout, and the push's lift.

Profiles come from analytics (``build_profiles`` on the event store, where users
are pseudonymous ids), built from the behaviour of the users who allowed
personalisation only (privacy's ``personalised_recommendations``: profiling is
opt-in, as for recommendations): the shop's customers are those who bought its
products; everyone else with events is a lookalike candidate. Their pseudonymous
ids are computed from their accounts, so each maps back to one.

- Segments: RFM segments (``champions``, ``at risk``, ...) or ``all``.
- Lookalikes: scaled profile features; candidates ranked by their distance to the
  nearest seed user (scikit-learn ``NearestNeighbors``).
- Export, for an ad platform's customer list: SHA-256 of the normalised e-mail
  (trimmed, lowercased: what Meta, Google and TikTok match on) of the audience's
  users who accept marketing (``marketing_messages``) and confirmed their e-mail,
  under the platform's column name.
- Push, to the audience's users who accept marketing only: a coupon put in each
  treated user's wallet, or a room reminder in their notification centre
  (``RoomReminderPushed``, told by notifications); a random share of them (the
  holdout) gets nothing, so that the lift in visits, orders and GMV against it is
  the push's effect, with a 95 % interval.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.analytics.access import shop_product_ids
from liveshop.analytics.engines import DuckDBEngine
from liveshop.analytics.profiles import build_profiles
from liveshop.analytics.reports.common import PURCHASE_TYPES, is_type
from liveshop.analytics.segments import feature_matrix
from liveshop.campaigns import access, stats
from liveshop.campaigns.events import RoomReminderPushed
from liveshop.campaigns.links import parse_target
from liveshop.campaigns.models import Conversion, Push, PushRecipient, TargetKind
from liveshop.catalog.access import can_manage_shop
from liveshop.core.bus import publish_after_commit
from liveshop.core.clock import utcnow
from liveshop.core.errors import InvalidInput, LiveShopError, NotFound
from liveshop.core.rooms import room_facts
from liveshop.core.settings import Settings
from liveshop.events.recorder import pseudonymous_id
from liveshop.events.store import ANALYTICS_QUERY, connect_store
from liveshop.privacy.consents import Purpose, consenting_users, users_with_consent
from liveshop.promotions import coupons

ALL = "all"
MAX_AUDIENCE = 100_000
MAX_LOOKALIKES = 10_000
ID_BATCH = 1_000  # ids per IN list: SQLite binds at most 32,766 parameters


@dataclass(frozen=True)
class Profiles:
    customers: list[dict[str, Any]]  # the shop's buyers
    others: list[dict[str, Any]]  # everyone else with events (lookalike candidates)
    accounts: dict[str, int]  # pseudonymous id -> account id, of everyone profiled


def profiled_accounts(session: Session, settings: Settings) -> dict[str, int]:
    """Pseudonymous id -> account id of the users who allowed personalisation: the only
    ones whose behaviour builds segments and lookalikes."""
    secret = settings.resolved_secret_key()
    allowed = users_with_consent(session, purpose=Purpose.PERSONALISED_RECOMMENDATIONS)
    return {pseudonymous_id(user_id, secret): user_id for user_id in allowed}


def load_profiles(settings: Settings, session: Session, *, shop_id: int, as_of: date) -> Profiles:
    products = shop_product_ids(session, shop_id)
    ids = ", ".join(f"'{int(product)}'" for product in products) or "NULL"
    accounts = profiled_accounts(session, settings)
    connection = connect_store(settings.event_store_path())
    try:
        connection.register(
            "profiled_users", pa.table({"user_id": pa.array(list(accounts), type=pa.string())})
        )
        connection.execute(
            f"CREATE OR REPLACE TEMP VIEW events AS SELECT * FROM ({ANALYTICS_QUERY}) AS e "
            "WHERE e.user_id IN (SELECT user_id FROM profiled_users)"
        )
        buyers = {
            row[0]
            for row in connection.execute(
                f"SELECT DISTINCT user_id FROM events WHERE product_id IN ({ids}) "
                f"AND {is_type(PURCHASE_TYPES)} AND user_id IS NOT NULL"
            ).fetchall()
        }
        rows = build_profiles(DuckDBEngine(connection), as_of=as_of).rows
    finally:
        connection.close()
    return Profiles(
        customers=[row for row in rows if row["user_id"] in buyers],
        others=[row for row in rows if row["user_id"] not in buyers and row["user_id"]],
        accounts=accounts,
    )


def segment_counts(profiles: Profiles) -> dict[str, int]:
    counts = Counter(str(row["rfm_segment"]) for row in profiles.customers if row["rfm_segment"])
    return {ALL: len(profiles.customers), **dict(sorted(counts.items()))}


def segment_members(profiles: Profiles, segment: str) -> list[dict[str, Any]]:
    if segment == ALL:
        return profiles.customers
    members = [row for row in profiles.customers if row["rfm_segment"] == segment]
    if not members:
        raise InvalidInput(f"no customers in segment {segment!r}", code="segment_empty")
    return members


def lookalikes(
    seed: list[dict[str, Any]], candidates: list[dict[str, Any]], *, size: int
) -> list[dict[str, Any]]:
    """The ``size`` candidates nearest any seed user in scaled profile space."""
    if size <= 0 or not seed or not candidates:
        return []
    # imported here, not with the module, as analytics.segments does
    from sklearn.neighbors import NearestNeighbors  # type: ignore[import-untyped]
    from sklearn.preprocessing import StandardScaler  # type: ignore[import-untyped]

    matrix = feature_matrix(seed + candidates)  # missing values filled across both
    scaled = StandardScaler().fit_transform(matrix)
    seed_points, candidate_points = scaled[: len(seed)], scaled[len(seed) :]
    neighbours = NearestNeighbors(n_neighbors=1).fit(seed_points)
    distances, _ = neighbours.kneighbors(candidate_points)
    order = np.argsort(distances[:, 0], kind="stable")[:size]
    return [candidates[int(index)] for index in order]


def audience_user_ids(
    settings: Settings,
    session: Session,
    *,
    shop_id: int,
    segment: str,
    lookalike_size: int = 0,
) -> tuple[list[int], int]:
    """(account ids of the segment and its lookalikes, how many were lookalikes)."""
    profiles = load_profiles(settings, session, shop_id=shop_id, as_of=utcnow().date())
    seed = segment_members(profiles, segment)
    similar = lookalikes(seed, profiles.others, size=min(lookalike_size, MAX_LOOKALIKES))
    seed_ids = [profiles.accounts[str(row["user_id"])] for row in seed]
    similar_ids = [profiles.accounts[str(row["user_id"])] for row in similar]
    return (seed_ids + similar_ids)[:MAX_AUDIENCE], len(similar_ids)


def reachable(session: Session, user_ids: list[int]) -> list[int]:
    """Those of ``user_ids`` who accept marketing messages, in the same order."""
    allowed = consenting_users(session, purpose=Purpose.MARKETING_MESSAGES, user_ids=user_ids)
    return [user_id for user_id in user_ids if user_id in allowed]


class AdPlatform(enum.StrEnum):
    META = "meta"
    GOOGLE = "google"
    TIKTOK = "tiktok"


# The column (or schema key) each platform reads a list of hashed e-mails from: Meta's
# Marketing API audience schema, Google Ads Customer Match's upload file, TikTok's
# customer-file identifier.
EMAIL_COLUMNS = {
    AdPlatform.META: "EMAIL_SHA256",
    AdPlatform.GOOGLE: "Email",
    AdPlatform.TIKTOK: "EMAIL_SHA256",
}
EMAIL_HASHING = "sha256(lowercase(trim(email)))"


@dataclass(frozen=True)
class EmailExport:
    platform: AdPlatform
    column: str
    hashes: list[str]  # sorted: the list's order says nothing about the audience
    left_out: int  # in the audience, without marketing consent or a confirmed e-mail


def normalised_email_hash(email: str) -> str:
    """The ad platforms' convention for e-mail lists: SHA-256 (hex) of the trimmed,
    lowercased address."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def email_export(session: Session, *, user_ids: list[int], platform: AdPlatform) -> EmailExport:
    """The audience as the platform matches it: hashed e-mails of those who accept
    marketing (one per address)."""
    allowed = reachable(session, user_ids)
    hashes: set[str] = set()
    for start in range(0, len(allowed), ID_BATCH):
        emails = session.scalars(
            select(User.email).where(
                User.id.in_(allowed[start : start + ID_BATCH]),
                User.email.is_not(None),
                User.email_confirmed_at.is_not(None),  # a typo'd address is someone else's
            )
        )
        hashes.update(normalised_email_hash(email) for email in emails if email and email.strip())
    return EmailExport(
        platform=platform,
        column=EMAIL_COLUMNS[platform],
        hashes=sorted(hashes),
        left_out=len(set(user_ids)) - len(hashes),
    )


def send_push(
    session: Session,
    *,
    actor: User,
    user_ids: list[int],
    kind: str,
    target: str,
    message: str,
    holdout_percent: int,
) -> Push:
    """Keep the audience's users who accept marketing messages, split them at random,
    keep the holdout out, deliver to the rest (so the lift compares like with like)."""
    shop_id = access.shop_to_run_campaigns(session, actor=actor)
    _check_push_target(session, shop_id=shop_id, kind=kind, target=target)
    if not user_ids:
        raise InvalidInput("the audience is empty", code="audience_empty")
    eligible = reachable(session, user_ids)
    if not eligible:
        raise InvalidInput(
            "no one in the audience accepts marketing messages", code="audience_not_reachable"
        )
    shuffled = secrets.SystemRandom().sample(eligible, len(eligible))
    held = round(len(shuffled) * holdout_percent / 100)
    push = Push(
        shop_id=shop_id,
        kind=kind,
        target=target,
        message=message,
        holdout_share=holdout_percent,
        created_by=actor.id,
        sent_at=utcnow(),
    )
    session.add(push)
    session.flush()
    session.add_all(
        PushRecipient(push_id=push.id, user_id=user_id, held_out=index < held)
        for index, user_id in enumerate(shuffled)
    )
    target_id = parse_target(target)[1]
    if kind == "coupon":
        _give_coupons(session, coupon_id=target_id, user_ids=shuffled[held:])
    else:
        publish_after_commit(
            session,
            RoomReminderPushed(
                push_id=push.id,
                room_id=target_id,
                message=message,
                user_ids=tuple(shuffled[held:]),
            ),
        )
    session.flush()
    return push


def recipients_of(session: Session, *, push: Push) -> int:
    """How many of the audience the push split (sent and held out)."""
    return int(
        session.scalar(
            select(func.count()).select_from(PushRecipient).where(PushRecipient.push_id == push.id)
        )
        or 0
    )


def _check_push_target(session: Session, *, shop_id: int, kind: str, target: str) -> None:
    target_kind, target_id = parse_target(target)
    if kind == "coupon" and target_kind is TargetKind.COUPON:
        coupon = coupons.get_coupon(session, coupon_id=target_id)
        if coupon.shop_id != shop_id or coupon.room_id is not None:
            raise InvalidInput(
                "push one of your shop's coupons (not a room drop)", code="target_not_yours"
            )
        return
    if kind == "room_reminder" and target_kind is TargetKind.ROOM:
        room_facts(session, target_id)
        return
    raise InvalidInput("a coupon push targets coupon:ID, a reminder room:ID", code="push_target")


def _give_coupons(session: Session, *, coupon_id: int, user_ids: list[int]) -> None:
    """Each treated user gets the coupon in their wallet (within its limits)."""
    for user_id in user_ids:
        user = session.get(User, user_id)
        if user is None:
            continue
        try:
            with session.begin_nested():
                coupons.grab_coupon(session, user=user, coupon_id=coupon_id)
        except LiveShopError:
            continue  # sold out, over the per-user limit, or a read-only account


def get_push(session: Session, *, actor: User, push_id: int) -> Push:
    """The push, if ``actor`` acts for its shop (else 404, as if it did not exist)."""
    push = session.get(Push, push_id)
    if push is None or not can_manage_shop(session, actor=actor, shop_id=push.shop_id):
        raise NotFound(f"push {push_id} not found", code="push_not_found")
    return push


def push_lift(session: Session, settings: Settings, *, actor: User, push_id: int) -> dict[str, Any]:
    """Per group (sent, holdout): users, visits, orders, GMV since the push; the lift of
    the per-user means, sent minus holdout, with a 95 % Welch interval."""
    push = get_push(session, actor=actor, push_id=push_id)
    recipients = list(
        session.execute(
            select(PushRecipient.user_id, PushRecipient.held_out).where(
                PushRecipient.push_id == push.id
            )
        ).tuples()
    )
    orders, gmv = _orders_since(session, push=push, user_ids=[user for user, _ in recipients])
    visits = _visits_since(settings, push.sent_at, [user for user, _ in recipients])
    groups: dict[str, dict[str, list[float]]] = {
        "sent": {"visits": [], "orders": [], "gmv": []},
        "holdout": {"visits": [], "orders": [], "gmv": []},
    }
    for user_id, held_out in recipients:
        group = groups["holdout" if held_out else "sent"]
        group["visits"].append(float(visits.get(user_id, 0)))
        group["orders"].append(float(orders.get(user_id, 0)))
        group["gmv"].append(float(gmv.get(user_id, 0)))
    return {
        "push_id": push.id,
        "kind": push.kind,
        "target": push.target,
        "sent_at": push.sent_at,
        "groups": {
            name: {"users": len(values["visits"])}
            | {metric: int(sum(series)) for metric, series in values.items()}
            for name, values in groups.items()
        },
        "lift": {
            metric: _lift(groups["holdout"][metric], groups["sent"][metric])
            for metric in ("visits", "orders", "gmv")
        },
    }


def _lift(holdout: list[float], sent: list[float]) -> dict[str, float | None]:
    interval = stats.mean_difference_interval(holdout, sent)
    return {
        "per_user_sent": round(sum(sent) / len(sent), 4) if sent else None,
        "per_user_holdout": round(sum(holdout) / len(holdout), 4) if holdout else None,
        "difference": round(interval.estimate, 4) if interval else None,
        "ci_low": round(interval.low, 4) if interval else None,
        "ci_high": round(interval.high, 4) if interval else None,
    }


def _orders_since(
    session: Session, *, push: Push, user_ids: list[int]
) -> tuple[dict[int, int], dict[int, int]]:
    rows = session.execute(
        select(Conversion.buyer_id, func.count(), func.sum(Conversion.total))
        .where(
            Conversion.shop_id == push.shop_id,
            Conversion.paid_at >= push.sent_at,
            Conversion.buyer_id.in_(user_ids),
        )
        .group_by(Conversion.buyer_id)
    ).tuples()
    orders: dict[int, int] = {}
    gmv: dict[int, int] = {}
    for buyer, count, total in rows:
        orders[buyer], gmv[buyer] = int(count), int(total or 0)
    return orders, gmv


def _visits_since(settings: Settings, since: datetime, user_ids: list[int]) -> dict[int, int]:
    """Room joins in the behaviour log after ``since``, per account."""
    path = settings.event_store_path()
    if not path.exists() or not user_ids:
        return {}
    secret = settings.resolved_secret_key()
    by_pseudonym = {pseudonymous_id(user_id, secret): user_id for user_id in user_ids}
    connection = connect_store(path)
    try:
        rows = connection.execute(
            "SELECT user_id, count(*) FROM behaviour_events WHERE event_type = 'join' "
            "AND ts >= ? GROUP BY user_id",
            [since],
        ).fetchall()
    finally:
        connection.close()
    return {
        by_pseudonym[pseudonym]: int(count)
        for pseudonym, count in rows
        if pseudonym in by_pseudonym
    }
