"""Follower fan-out benchmark: one host with N followers goes live.

Run by hand (not a test); prints one JSON document on stdout::

    .venv/bin/python benchmarks/follower_fanout.py                       # SQLite, 100,000
    .venv/bin/python benchmarks/follower_fanout.py --database-url postgresql+psycopg://...
    .venv/bin/python benchmarks/follower_fanout.py --followers 20000 --batch-size 2000

It migrates a fresh database (a temporary SQLite file unless a URL is given; a
PostgreSQL URL should name an empty schema), writes the host and its followers
in bulk, starts the room through the live service (so the go-live listener
queues the fan-out as the app would, and the request's own time is measured),
then runs the notification job's fan-out to the end and checks that every
follower got exactly one notice.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, insert, select

from liveshop.accounts.models import Role, User
from liveshop.core.bus import bus
from liveshop.core.db import unit_of_work
from liveshop.core.migrations import upgrade_database
from liveshop.core.settings import Settings
from liveshop.live import service as live
from liveshop.notifications.fan_out import run_pending_fan_outs
from liveshop.notifications.models import FanOut, HostFollower, Notification
from liveshop.wiring import Subscriptions, connect_domains, domain_listeners


def _seed(database_url: str, followers: int) -> int:
    with unit_of_work(database_url) as session:
        host = User(username="bench_host", password_hash="!", role=Role.HOST)
        session.add(host)
        session.flush()
        session.execute(
            insert(User),
            [
                {"username": f"fan{i}", "password_hash": "!", "role": Role.VIEWER}
                for i in range(followers)
            ],
        )
        ids = session.scalars(select(User.id).where(User.username.like("fan%"))).all()
        session.execute(insert(HostFollower), [{"host_id": host.id, "user_id": i} for i in ids])
        return host.id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--followers", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=5_000)
    parser.add_argument("--database-url", default=None)
    arguments = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="fanout-bench-"))
    settings = Settings(
        home=home, database_url=arguments.database_url, secret_key="bench-secret-key-0123456789"
    )
    database_url = settings.resolved_database_url()
    upgrade_database(database_url)
    connect_domains()
    subscriptions = Subscriptions(bus, domain_listeners(settings))
    print(f"seeding {arguments.followers} followers", file=sys.stderr)
    host_id = _seed(database_url, arguments.followers)
    with unit_of_work(database_url) as session:
        host = session.get_one(User, host_id)
        room_id = live.create_room(session, host=host, title="bench").id
    started = time.perf_counter()
    with unit_of_work(database_url) as session:
        live.start_room(session, actor=session.get_one(User, host_id), room_id=room_id)
    go_live_seconds = time.perf_counter() - started  # the request's part: commit + queue
    print("fanning out", file=sys.stderr)
    started = time.perf_counter()
    covered = run_pending_fan_outs(database_url, batch_size=arguments.batch_size, mailing=None)
    fan_out_seconds = time.perf_counter() - started
    subscriptions.cancel()
    with unit_of_work(database_url) as session:
        notices = session.scalar(select(func.count()).select_from(Notification)) or 0
        distinct = session.scalar(select(func.count(func.distinct(Notification.user_id)))) or 0
        fan_outs = session.scalar(select(func.count()).select_from(FanOut)) or 0
    print(
        json.dumps(
            {
                "database": database_url.split(":", 1)[0],
                "followers": arguments.followers,
                "batch_size": arguments.batch_size,
                "go_live_seconds": round(go_live_seconds, 4),
                "fan_out_seconds": round(fan_out_seconds, 3),
                "notices_per_second": round(covered / fan_out_seconds) if fan_out_seconds else None,
                "covered": covered,
                "notices": notices,
                "distinct_users": distinct,
                "fan_outs": fan_outs,
                "every_follower_once": notices == distinct == arguments.followers,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
