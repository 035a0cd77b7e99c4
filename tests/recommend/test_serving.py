"""Training from the store and serving: personal candidates with reasons, privacy,
diversity caps, contexts, session freshness, versions and rollback (SQLite and
PostgreSQL through the ``database_url`` fixture)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from liveshop.accounts.models import Role, User
from liveshop.catalog import service as catalog
from liveshop.catalog import staff
from liveshop.core.clock import utcnow
from liveshop.core.db import unit_of_work
from liveshop.core.errors import InvalidInput, NotFound
from liveshop.core.settings import Settings
from liveshop.live import service as live
from liveshop.notifications.follows import follow_host
from liveshop.recommend import model_store
from liveshop.recommend.jobs import train_once
from liveshop.recommend.service import Recommendations, recommend_live_rooms, recommend_products
from tests.conftest import MakeAccount
from tests.recommend.helpers import allow_personalisation, events, merchants, product


class Shopfront:
    """Three shops; snacks are popular with everyone (six of one shop), tea and cups
    are viewed together by people who allowed personalisation, and another tea and
    cup by people who did not."""

    def __init__(self, database_url: str, settings: Settings, make_account: MakeAccount):
        snack_shop, tea_shop, cup_shop = merchants(make_account, 3)
        self.snacks = [product(database_url, snack_shop, f"Snack {i}", "snacks") for i in range(6)]
        self.tea = [product(database_url, tea_shop, f"Tea {i}", "tea") for i in range(3)]
        self.cups = [product(database_url, cup_shop, f"Cup {i}", "cups") for i in range(3)]
        self.reader = make_account(Role.VIEWER, "reader")  # allowed personalisation
        self.private = make_account(Role.VIEWER, "private")  # did not
        allow_personalisation(database_url, self.reader)
        crowd_ok = [make_account(Role.VIEWER, f"ok_{i}") for i in range(8)]
        crowd_private = [make_account(Role.VIEWER, f"no_{i}") for i in range(8)]
        for account in crowd_ok:
            allow_personalisation(database_url, account)
        rows = []
        for account in crowd_ok:
            rows += [
                (account.id, "view", {"product_id": self.tea[0]}),
                (account.id, "cart", {"product_id": self.cups[0]}),
            ]
        for account in crowd_private:
            rows += [
                (account.id, "view", {"product_id": self.tea[1]}),
                (account.id, "cart", {"product_id": self.cups[1]}),
            ]
        for account in [*crowd_ok, *crowd_private]:
            rows += [(account.id, "view", {"product_id": s}) for s in self.snacks]
        for account in (self.reader, self.private):
            rows += [(account.id, "purchase", {"product_id": self.tea[0], "amount": 1_000})]
        events(settings, rows)


@pytest.fixture
def shopfront(database_url: str, settings: Settings, make_account: MakeAccount) -> Shopfront:
    return Shopfront(database_url, settings, make_account)


def engine_for(settings: Settings) -> Recommendations:
    return Recommendations(home=settings.home, secret_key=settings.resolved_secret_key())


def test_personal_candidates_have_reasons_and_privacy_holds(
    shopfront: Shopfront, settings: Settings, session: Session
) -> None:
    assert train_once(settings) == "v0001"
    engine = engine_for(settings)
    reader = session.get_one(User, shopfront.reader.id)
    mine = recommend_products(session, engine=engine, viewer=reader, context="home", limit=10)
    assert mine.personalised is True
    assert mine.model_version == "v0001"
    reasons = {item.product_id: item.reason for item in mine.items}
    assert reasons[shopfront.tea[0]] == "buy again"
    assert reasons[shopfront.cups[0]] == "because you watched Tea 0"
    # Diversity cap: the snack shop's six popular products get three places while the
    # other shops' six products last; only then does a fourth (held back) fill the tenth.
    shops = [item.shop_id for item in mine.items]
    assert len(shops) == 10
    assert Counter(shops[:9]).most_common(1)[0][1] == 3
    assert Counter(shops).most_common(1)[0][1] == 4

    private = session.get_one(User, shopfront.private.id)
    theirs = recommend_products(session, engine=engine, viewer=private, context="home", limit=10)
    assert theirs.personalised is False
    assert {item.reason_kind for item in theirs.items} == {"popular_in"}
    assert {item.reason for item in theirs.items} >= {"popular in snacks", "popular in tea"}
    # The private crowd's co-views made no neighbours; the allowed crowd's did.
    model = model_store.load(settings.home, "v0001")
    index = {int(p): i for i, p in enumerate(model.product_ids.tolist())}

    def neighbours(product_id: int) -> set[int]:
        row = model.neighbours[index[product_id]]
        return {int(model.product_ids[i]) for i in row.tolist() if i >= 0}

    assert shopfront.cups[0] in neighbours(shopfront.tea[0])
    assert shopfront.cups[1] not in neighbours(shopfront.tea[1])
    assert len(model.user_ids) == 9  # the reader and the eight who allowed it


def test_contexts(shopfront: Shopfront, settings: Settings, session: Session) -> None:
    train_once(settings)
    engine = engine_for(settings)
    similar = recommend_products(
        session, engine=engine, viewer=None, context=f"product:{shopfront.tea[0]}", limit=5
    )
    assert similar.items[0].product_id == shopfront.cups[0]
    assert similar.items[0].reason == "similar to Tea 0"
    assert shopfront.tea[0] not in {item.product_id for item in similar.items}
    with pytest.raises(NotFound):
        recommend_products(session, engine=engine, viewer=None, context="room:987654", limit=5)
    with pytest.raises(InvalidInput):
        recommend_products(session, engine=engine, viewer=None, context="shelf:1", limit=5)


def test_versions_roll_back(shopfront: Shopfront, settings: Settings) -> None:
    assert train_once(settings) == "v0001"
    assert train_once(settings) == "v0002"
    assert model_store.current_version(settings.home) == "v0002"
    assert model_store.rollback(settings.home) == "v0001"
    assert [row["current"] for row in model_store.describe(settings.home)] == [True, False]
    with pytest.raises(InvalidInput):
        model_store.rollback(settings.home)
    with pytest.raises(NotFound):
        model_store.rollback(settings.home, to="v0042")


def test_session_actions_change_the_next_recommendations(
    shopfront: Shopfront, settings: Settings, client: TestClient
) -> None:
    train_once(settings)
    headers = shopfront.reader.headers
    before = client.get("/api/recommendations/products", headers=headers).json()
    assert before["personalised"] is True
    assert "because you just looked at Tea 1" not in {i["reason"] for i in before["items"]}
    sent = client.post(
        "/api/events",
        headers=headers,
        json={"events": [{"event_type": "view", "product_id": shopfront.tea[1]}]},
    )
    assert sent.status_code == 202, sent.text
    after = client.get("/api/recommendations/products", headers=headers).json()
    assert "because you just looked at Tea 1" in {i["reason"] for i in after["items"]}
    # Someone who did not allow personalisation: the same action changes nothing.
    private = shopfront.private.headers
    first = client.get("/api/recommendations/products", headers=private).json()
    client.post(
        "/api/events",
        headers=private,
        json={"events": [{"event_type": "view", "product_id": shopfront.tea[1]}]},
    )
    second = client.get("/api/recommendations/products", headers=private).json()
    assert first["items"] == second["items"]
    assert first["personalised"] is False
    assert client.get("/api/recommendations/products?context=nowhere").status_code == 422


def test_rooms_live_or_soon_followed_first_new_hosts_explored(
    database_url: str, settings: Settings, make_account: MakeAccount, session: Session
) -> None:
    followed, popular, newcomer, later, ended = (
        make_account(Role.HOST, name)
        for name in ("followed_host", "popular_host", "new_host", "later_host", "ended_host")
    )
    owner = make_account(Role.MERCHANT, "shop_owner")
    viewer = make_account(Role.VIEWER, "room_viewer")
    rooms = {}
    with unit_of_work(database_url) as work:
        for account, title in ((followed, "followed"), (popular, "popular"), (ended, "ended")):
            user = work.get_one(User, account.id)
            for _ in range(3):  # established hosts (three rooms each)
                room = live.create_room(work, host=user, title=title)
            rooms[title] = room
        work.flush()
        shop = catalog.ensure_shop(work, merchant=work.get_one(User, owner.id))
        invitation = staff.invite_staff(
            work, owner=work.get_one(User, owner.id), user_id=followed.id
        )
        staff.accept_invitation(
            work, invitee=work.get_one(User, followed.id), invitation_id=invitation.id
        )
        catalog.follow_shop(work, user=work.get_one(User, viewer.id), shop_id=shop.id)
        rooms["new"] = live.create_room(work, host=work.get_one(User, newcomer.id), title="new")
        soon = utcnow() + timedelta(minutes=30)
        rooms["soon"] = live.create_room(
            work, host=work.get_one(User, popular.id), title="soon", scheduled_at=soon
        )
        rooms["later"] = live.create_room(
            work,
            host=work.get_one(User, later.id),
            title="later",
            scheduled_at=utcnow() + timedelta(hours=10),
        )
        work.flush()
        for title, account in (
            ("followed", followed),
            ("popular", popular),
            ("new", newcomer),
            ("ended", ended),
        ):
            live.start_room(work, actor=work.get_one(User, account.id), room_id=rooms[title].id)
        live.end_room(work, actor=work.get_one(User, ended.id), room_id=rooms["ended"].id)
        rooms["popular"].viewers = 500
        ids = {title: room.id for title, room in rooms.items()}
    engine = engine_for(settings)
    picks = recommend_live_rooms(
        session, engine=engine, viewer=session.get_one(User, viewer.id), limit=10
    ).items
    titles = [pick.title for pick in picks]
    assert "ended" not in titles
    assert "later" not in titles
    assert titles[0] == "followed"
    assert picks[0].reason == "from shop_owner's shop, a shop you follow"
    assert (picks[0].reason_kind, picks[0].reason_subject) == ("followed_shop", "shop_owner's shop")
    assert set(titles) == {"followed", "popular", "new", "soon"}
    assert {pick.room_id for pick in picks} == {
        ids[t] for t in ("followed", "popular", "new", "soon")
    }
    new_pick = next(pick for pick in picks if pick.title == "new")
    assert new_pick.reason == "new host: new_host"
    assert titles.index("new") <= 2
    anonymous = recommend_live_rooms(session, engine=engine, viewer=None, limit=10).items
    assert anonymous[0].title == "popular"
    # Following the popular host (notifications' host follows) puts it beside the shop.
    session.rollback()  # end the read so SQLite lets the follow be written
    with unit_of_work(database_url) as work:
        follow_host(work, user=work.get_one(User, viewer.id), host_id=popular.id)
    session.expire_all()
    again = recommend_live_rooms(
        session, engine=engine, viewer=session.get_one(User, viewer.id), limit=10
    ).items
    assert [pick.title for pick in again[:2]] == ["popular", "followed"]
    assert again[0].reason == "because you follow popular_host"
