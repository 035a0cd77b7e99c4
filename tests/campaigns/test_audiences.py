"""Audiences: segments from the behaviour log, lookalikes, hashed exports, a coupon
push with a holdout and its lift; consents: only who allowed personalisation is
profiled, only who accepts marketing is exported or pushed to."""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from liveshop.accounts.models import Role, User
from liveshop.campaigns.models import Push, PushRecipient
from liveshop.core.clock import utcnow
from liveshop.core.db import unit_of_work
from liveshop.core.settings import Settings
from liveshop.events.recorder import pseudonymous_id
from liveshop.events.store import append_events
from liveshop.privacy.consents import POLICY_VERSIONS, Purpose, grant_consent
from tests.campaigns.helpers import order_and_pay
from tests.conftest import SECRET_KEY, Account, MakeAccount
from tests.live.helpers import live_room, shop_product


def _event(
    kind: str, user_id: int, product_id: int | None, days_ago: float, **props: Any
) -> dict[str, Any]:
    return {
        "event_id": uuid.uuid4().hex,
        "event_type": kind,
        "user_id": pseudonymous_id(user_id, SECRET_KEY),
        "room_id": None,
        "product_id": product_id,
        "ts": utcnow() - timedelta(days=days_ago),
        "properties": props,
    }


PROFILED = (Purpose.PERSONALISED_RECOMMENDATIONS,)
PROFILED_AND_MARKETED = (Purpose.PERSONALISED_RECOMMENDATIONS, Purpose.MARKETING_MESSAGES)


def _consent(database_url: str, people: list[Account], *purposes: Purpose) -> None:
    with unit_of_work(database_url) as session:
        for person in people:
            for purpose in purposes:
                grant_consent(
                    session,
                    user_id=person.id,
                    purpose=purpose,
                    policy_version=POLICY_VERSIONS[purpose],
                )


def _set_email(database_url: str, person: Account, email: str, *, confirmed: bool = True) -> None:
    with unit_of_work(database_url) as session:
        session.execute(
            update(User)
            .where(User.id == person.id)
            .values(email=email, email_confirmed_at=utcnow() if confirmed else None)
        )


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_segments_lookalikes_export_and_a_push_with_its_lift(
    client: TestClient, make_account: MakeAccount, settings: Settings, database_url: str
) -> None:
    merchant, other_merchant = make_account(Role.MERCHANT), make_account(Role.MERCHANT)
    product = shop_product(client, merchant, price=5_000)
    elsewhere = shop_product(client, other_merchant, title="hat", price=5_000)
    buyers = [make_account(Role.VIEWER) for _ in range(4)]
    quiet = make_account(Role.VIEWER)  # profiled, but takes no marketing
    unprofiled = make_account(Role.VIEWER)  # takes marketing, but did not allow profiling
    similar = [make_account(Role.VIEWER) for _ in range(2)]
    browsers = [make_account(Role.VIEWER) for _ in range(3)]
    _consent(database_url, [*buyers, similar[0], unprofiled], Purpose.MARKETING_MESSAGES)
    _consent(database_url, [*buyers, quiet, *similar, *browsers], *PROFILED)
    for index, person in enumerate(buyers[:3]):
        _set_email(database_url, person, f"  Buyer{index}@Example.COM ")
    _set_email(database_url, quiet, "quiet@example.com")
    _set_email(database_url, unprofiled, "unprofiled@example.com")
    _set_email(database_url, similar[0], "Twin@example.com")
    _set_email(database_url, similar[1], "twin2@example.com")
    _set_email(database_url, buyers[2], "  Buyer2@Example.COM ", confirmed=False)
    events = []
    for buyer in [*buyers, quiet, unprofiled]:
        events += [
            _event("purchase", buyer.id, product["id"], days, amount=5_000) for days in (1, 3)
        ]
    for person in similar:  # bought the same way, from another shop
        events += [
            _event("purchase", person.id, elsewhere["id"], days, amount=5_000) for days in (1, 3)
        ]
    for person in browsers:  # only looked, long ago
        events.append(_event("view", person.id, elsewhere["id"], 60))
    append_events(settings.event_store_path(), events)

    counts = client.get("/api/audiences/segments", headers=merchant.headers)
    assert counts.status_code == 200, counts.text
    assert counts.json()["all"] == 5  # the buyers and quiet; not the unprofiled buyer

    exported = client.post(
        "/api/audiences/export", json={"segment": "all", "lookalikes": 2}, headers=merchant.headers
    )
    assert exported.status_code == 200, exported.text
    body = exported.json()
    emails = ("buyer0@example.com", "buyer1@example.com", "twin@example.com")
    expected = [_sha256(email) for email in emails]
    assert body == {
        "platform": "meta",
        "column": "EMAIL_SHA256",
        "hashing": "sha256(lowercase(trim(email)))",
        "count": 3,
        "lookalikes": 2,
        "left_out": 4,  # buyers[2]'s e-mail is unconfirmed, buyers[3] has none; quiet and
        # similar[1] take no marketing
        "hashes": sorted(expected),
    }
    as_file = client.post(
        "/api/audiences/export",
        json={"segment": "all", "lookalikes": 2, "platform": "google", "format": "csv"},
        headers=merchant.headers,
    )
    assert as_file.status_code == 200, as_file.text
    assert as_file.headers["content-type"].startswith("text/csv")
    assert as_file.text.splitlines() == ["Email", *sorted(expected)]

    coupon = client.post(
        "/api/coupons",
        json={
            "code": "BACK10",
            "name": "回购券",
            "kind": "fixed",
            "amount": 1_000,
            "starts_at": (utcnow() - timedelta(minutes=1)).isoformat(),
            "ends_at": (utcnow() + timedelta(days=7)).isoformat(),
            "total_quantity": 100,
        },
        headers=merchant.headers,
    )
    assert coupon.status_code == 201, coupon.text
    pushed = client.post(
        "/api/audiences/pushes",
        json={
            "segment": "all",
            "kind": "coupon",
            "target": f"coupon:{coupon.json()['id']}",
            "holdout_percent": 50,
        },
        headers=merchant.headers,
    )
    assert pushed.status_code == 201, pushed.text
    assert pushed.json()["recipients"] == 4  # quiet is in the segment, not in the push
    with unit_of_work(database_url) as session:
        split = dict(
            session.execute(select(PushRecipient.user_id, PushRecipient.held_out)).tuples().all()
        )
    assert sorted(split) == sorted(buyer.id for buyer in buyers)
    assert sorted(split.values()) == [False, False, True, True]
    by_id = {buyer.id: buyer for buyer in buyers}
    sent = [by_id[user_id] for user_id, held in split.items() if not held]
    held_out = [by_id[user_id] for user_id, held in split.items() if held]
    assert len(_wallet(client, sent[0])) == 1
    assert _wallet(client, held_out[0]) == []
    assert _wallet(client, quiet) == []

    for index, person in enumerate(sent):
        order_and_pay(client, person, product["skus"][0]["id"], f"after-push-{index}")
    lift = client.get(f"/api/audiences/pushes/{pushed.json()['id']}/lift", headers=merchant.headers)
    assert lift.status_code == 200, lift.text
    report = lift.json()
    assert report["groups"]["sent"] | {"visits": 0} == {
        "users": 2,
        "visits": 0,
        "orders": 2,
        "gmv": 10_000,
    }
    assert report["groups"]["holdout"] == {"users": 2, "visits": 0, "orders": 0, "gmv": 0}
    assert report["lift"]["orders"]["difference"] == 1.0
    assert report["lift"]["gmv"]["per_user_sent"] == 5_000.0
    rival = make_account(Role.MERCHANT)
    shop_product(client, rival, title="other")
    hidden = client.get(f"/api/audiences/pushes/{pushed.json()['id']}/lift", headers=rival.headers)
    assert hidden.status_code == 404


def test_a_room_reminder_push_reaches_the_notification_centre_of_the_sent_only(
    client: TestClient, make_account: MakeAccount, settings: Settings, database_url: str
) -> None:
    merchant = make_account(Role.MERCHANT)
    product = shop_product(client, merchant, price=5_000)
    room_id = live_room(client, make_account(Role.HOST), title="双十二专场")
    buyers = [make_account(Role.VIEWER) for _ in range(4)]
    _consent(database_url, buyers, *PROFILED_AND_MARKETED)
    append_events(
        settings.event_store_path(),
        [_event("purchase", buyer.id, product["id"], 2, amount=5_000) for buyer in buyers],
    )
    pushed = client.post(
        "/api/audiences/pushes",
        json={
            "segment": "all",
            "kind": "room_reminder",
            "target": f"room:{room_id}",
            "message": "今晚八点，老客专享价",
            "holdout_percent": 50,
        },
        headers=merchant.headers,
    )
    assert pushed.status_code == 201, pushed.text
    centres = {buyer.id: _centre(client, buyer) for buyer in buyers}
    told = [user_id for user_id, items in centres.items() if items]
    assert len(told) == 2
    assert {
        (item["kind"], item["body"], item["link"]) for user_id in told for item in centres[user_id]
    } == {("room_promoted", "今晚八点，老客专享价", f"/rooms/{room_id}")}
    lift = client.get(f"/api/audiences/pushes/{pushed.json()['id']}/lift", headers=merchant.headers)
    assert lift.status_code == 200, lift.text
    assert {name: group["users"] for name, group in lift.json()["groups"].items()} == {
        "sent": 2,
        "holdout": 2,
    }


def _centre(client: TestClient, who: Account) -> list[Any]:
    response = client.get("/api/notifications", headers=who.headers)
    assert response.status_code == 200, response.text
    items: list[Any] = response.json()["items"]
    return items


def _wallet(client: TestClient, who: Account) -> list[Any]:
    response = client.get("/api/coupons/mine", headers=who.headers)
    assert response.status_code == 200
    held: list[Any] = response.json()
    return held


def test_no_push_to_an_audience_that_takes_no_marketing(
    client: TestClient, make_account: MakeAccount, settings: Settings, database_url: str
) -> None:
    merchant = make_account(Role.MERCHANT)
    product = shop_product(client, merchant, price=5_000)
    room_id = live_room(client, make_account(Role.HOST))
    buyers = [make_account(Role.VIEWER) for _ in range(3)]
    _consent(database_url, buyers, *PROFILED)
    append_events(
        settings.event_store_path(),
        [_event("purchase", buyer.id, product["id"], 2, amount=5_000) for buyer in buyers],
    )
    assert client.get("/api/audiences/segments", headers=merchant.headers).json()["all"] == 3

    refused = client.post(
        "/api/audiences/pushes",
        json={"segment": "all", "kind": "room_reminder", "target": f"room:{room_id}"},
        headers=merchant.headers,
    )

    assert (refused.status_code, refused.json()["code"]) == (422, "audience_not_reachable")
    with unit_of_work(database_url) as session:
        assert session.scalar(select(func.count()).select_from(Push)) == 0
        assert session.scalar(select(func.count()).select_from(PushRecipient)) == 0
    assert all(_centre(client, buyer) == [] for buyer in buyers)
