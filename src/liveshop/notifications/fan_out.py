"""Notices to every follower of a host or shop, written in batches by a background job.

Going live must not wait for 100,000 followers to be written: the request (or the
event's listener) only records a :class:`FanOut`; :func:`run_fan_out_step` then
writes one batch of followers (in user-id order, from the fan-out's cursor) per
transaction, so a crash resumes where it stopped and a batch run twice writes
nothing twice (the notices' unique (user, fact)).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, union, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from liveshop.catalog.models import ShopFollower
from liveshop.core.clock import utcnow
from liveshop.core.db import rows_changed, unit_of_work
from liveshop.notifications.centre import Mailing, Notice, notify_users
from liveshop.notifications.models import FanOut, FanOutStatus, HostFollower


def start_fan_out(
    session: Session, *, notice: Notice, host_id: int | None, shop_id: int | None
) -> FanOut | None:
    """Queue ``notice`` for the followers of the host and of the shop (each user once).
    Queuing the same fact again changes nothing (None)."""
    fan_out = FanOut(
        kind=notice.kind,
        dedupe_key=notice.dedupe_key,
        host_id=host_id,
        shop_id=shop_id,
        params=notice.params,
        title=notice.stored[0],
        body=notice.stored[1],
        link=notice.link,
        status=FanOutStatus.PENDING,
        cursor=0,
        delivered=0,
    )
    try:
        with session.begin_nested():
            session.add(fan_out)
    except IntegrityError:
        return None
    return fan_out


def _next_followers(session: Session, fan_out: FanOut, limit: int) -> list[int]:
    sources = []
    if fan_out.host_id is not None:
        sources.append(
            select(HostFollower.user_id.label("user_id")).where(
                HostFollower.host_id == fan_out.host_id, HostFollower.user_id > fan_out.cursor
            )
        )
    if fan_out.shop_id is not None:
        sources.append(
            select(ShopFollower.user_id.label("user_id")).where(
                ShopFollower.shop_id == fan_out.shop_id, ShopFollower.user_id > fan_out.cursor
            )
        )
    if not sources:
        return []
    followers = union(*sources).subquery()
    return list(
        session.scalars(select(followers.c.user_id).order_by(followers.c.user_id).limit(limit))
    )


def run_fan_out_step(
    session: Session,
    *,
    fan_out_id: int,
    batch_size: int,
    mailing: Mailing | None,
    now: datetime | None = None,
) -> int:
    """Write the next batch of one fan-out; the number of followers it covered (0 when
    the fan-out is done). The cursor moves with a conditional update, so two workers
    never write the same batch."""
    fan_out = session.get_one(FanOut, fan_out_id)
    if fan_out.status is FanOutStatus.DONE:
        return 0
    followers = _next_followers(session, fan_out, batch_size)
    if not followers:
        session.execute(
            update(FanOut)
            .where(FanOut.id == fan_out.id, FanOut.cursor == fan_out.cursor)
            .values(status=FanOutStatus.DONE, finished_at=now or utcnow())
        )
        return 0
    moved = session.execute(
        update(FanOut)
        .where(FanOut.id == fan_out.id, FanOut.cursor == fan_out.cursor)
        .values(cursor=followers[-1], delivered=FanOut.delivered + len(followers))
        .execution_options(synchronize_session=False)
    )
    if rows_changed(moved) != 1:
        return 0  # another worker took this batch
    notice = Notice(
        fan_out.kind,
        fan_out.dedupe_key,
        fan_out.params,
        fan_out.link,
        stored=(fan_out.title, fan_out.body),
    )
    notify_users(session, user_ids=followers, notice=notice, mailing=mailing, now=now)
    return len(followers)


def pending_fan_outs(session: Session) -> list[int]:
    return list(
        session.scalars(
            select(FanOut.id).where(FanOut.status == FanOutStatus.PENDING).order_by(FanOut.id)
        )
    )


def run_pending_fan_outs(database_url: str, *, batch_size: int, mailing: Mailing | None) -> int:
    """Every pending fan-out to the end, one transaction per batch; followers covered."""
    with unit_of_work(database_url) as session:
        fan_out_ids = pending_fan_outs(session)
    covered = 0
    for fan_out_id in fan_out_ids:
        while True:
            with unit_of_work(database_url) as session:
                step = run_fan_out_step(
                    session, fan_out_id=fan_out_id, batch_size=batch_size, mailing=mailing
                )
            if step == 0:
                break
            covered += step
    return covered
