"""Live rooms ranked by what they sell too: a room whose shelf holds what the viewer
likes (trained, or looked at in this session) rises above a busier room, with the
viewer's product named as the reason; a viewer without personalisation gets the
busy room first, and a new host still gets a top slot."""

from __future__ import annotations

import functools
import time

import pytest
from sqlalchemy.orm import Session

from liveshop.accounts.models import Role, User
from liveshop.core.db import unit_of_work
from liveshop.core.settings import Settings
from liveshop.live import service as live
from liveshop.live.shelf import set_shelf
from liveshop.recommend.jobs import train_once
from liveshop.recommend.service import recommend_live_rooms
from liveshop.recommend.sessions import Action
from tests.conftest import MakeAccount
from tests.recommend.helpers import product
from tests.recommend.test_serving import Shopfront, engine_for


@pytest.fixture
def shopfront(database_url: str, settings: Settings, make_account: MakeAccount) -> Shopfront:
    return Shopfront(database_url, settings, make_account)


def _live_room(
    database_url: str,
    make_account: MakeAccount,
    *,
    title: str,
    shelf: list[int],
    viewers: int,
    established: bool = True,
) -> int:
    """A live room selling ``shelf``; an established host has run two rooms before."""
    account = make_account(Role.HOST, f"{title.replace(' ', '_')}_host")
    with unit_of_work(database_url) as work:
        host = work.get_one(User, account.id)
        for _ in range(2 if established else 0):
            live.create_room(work, host=host, title=f"earlier {title}")
        room = live.create_room(work, host=host, title=title)
        work.flush()
        set_shelf(work, actor=host, room_id=room.id, product_ids=shelf)
        live.start_room(work, actor=host, room_id=room.id)
        room.viewers = viewers
        return room.id


def test_rooms_ranked_by_their_shelf_against_the_viewer(
    shopfront: Shopfront,
    database_url: str,
    settings: Settings,
    make_account: MakeAccount,
    session: Session,
) -> None:
    train_once(settings)
    room = functools.partial(_live_room, database_url, make_account)
    umbrella_shop = make_account(Role.MERCHANT, "umbrella_merchant")
    umbrella = product(database_url, umbrella_shop, "Umbrella", "umbrellas")  # nobody's
    room(title="umbrella room", shelf=[umbrella], viewers=5)  # the busiest
    cups = room(title="cup room", shelf=[shopfront.cups[0]], viewers=0)
    mugs = room(title="mug room", shelf=[shopfront.cups[2]], viewers=0)
    engine = engine_for(settings)
    reader = session.get_one(User, shopfront.reader.id)

    mine = recommend_live_rooms(session, engine=engine, viewer=reader, limit=10)
    assert mine.personalised is True
    assert mine.items[0].room_id == cups  # the cup the reader's tea goes with
    assert (mine.items[0].reason_kind, mine.items[0].reason_subject) == (
        "because_you_watched",
        "Tea 0",
    )
    assert mine.items[0].reason == "because you watched Tea 0"

    private = session.get_one(User, shopfront.private.id)
    theirs = recommend_live_rooms(session, engine=engine, viewer=private, limit=10)
    assert theirs.personalised is False
    assert theirs.items[0].title == "umbrella room"
    assert {item.reason_kind for item in theirs.items} == {"popular_live", "live_now"}

    # Looking at a cup nobody else did puts the room selling it first, at once.
    key = engine.viewer_key(reader)
    engine.activity.note(key, Action("view", shopfront.cups[2], None, time.time()))
    fresh = recommend_live_rooms(session, engine=engine, viewer=reader, limit=10)
    assert fresh.items[0].room_id == mugs
    assert fresh.items[0].reason == "because you just looked at Cup 2"


def test_a_new_host_keeps_a_top_slot_against_shelf_matches(
    shopfront: Shopfront,
    database_url: str,
    settings: Settings,
    make_account: MakeAccount,
    session: Session,
) -> None:
    train_once(settings)
    for number in range(3):
        _live_room(
            database_url,
            make_account,
            title=f"tea room {number}",
            shelf=[shopfront.tea[0], shopfront.cups[0]],
            viewers=50,
        )
    newcomer = _live_room(
        database_url,
        make_account,
        title="first stream",
        shelf=[product(database_url, make_account(Role.MERCHANT, "scarves"), "Scarf", "scarves")],
        viewers=0,
        established=False,
    )
    reader = session.get_one(User, shopfront.reader.id)
    picks = recommend_live_rooms(session, engine=engine_for(settings), viewer=reader, limit=10)
    assert [item.title for item in picks.items][:2] == ["tea room 0", "tea room 1"]
    assert picks.items[2].room_id == newcomer
    assert picks.items[2].reason == "new host: first_stream_host"
