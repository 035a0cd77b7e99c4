"""Following, the go-live fan-out, the centre's reads, reminders, coupons, refunds,
and email by opt-in through a local SMTP sink."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from liveshop.accounts.models import Role, User
from liveshop.catalog import staff
from liveshop.core.clock import utcnow
from liveshop.core.db import unit_of_work
from liveshop.core.settings import Settings
from liveshop.live import service as live
from liveshop.notifications import reminders
from liveshop.notifications.centre import unsubscribe_token
from liveshop.notifications.fan_out import run_pending_fan_outs
from liveshop.notifications.jobs import run_notification_jobs_once
from liveshop.notifications.listeners import NotifyOnDomainEvents
from liveshop.notifications.models import (
    FanOut,
    FanOutStatus,
    Notification,
    NotificationKind,
    OutboundEmail,
    OutboundEmailStatus,
)
from liveshop.orders.events import AfterSaleRefunded
from liveshop.promotions import coupons
from liveshop.promotions.schemas import CouponIn
from tests.conftest import Account, MakeAccount
from tests.notifications.helpers import bulk_followers, smtp_sink
from tests.reviews.helpers import make_product, order_line


def _notices(database_url: str, user_id: int) -> list[tuple[str, str]]:
    with unit_of_work(database_url) as session:
        rows = session.execute(
            select(Notification.kind, Notification.dedupe_key)
            .where(Notification.user_id == user_id)
            .order_by(Notification.id)
        ).all()
        return [(kind.value, key) for kind, key in rows]


def _room(database_url: str, host: Account, *, minutes_ahead: int | None = None) -> int:
    with unit_of_work(database_url) as session:
        scheduled = utcnow() + timedelta(minutes=minutes_ahead) if minutes_ahead else None
        room = live.create_room(
            session, host=session.get_one(User, host.id), title="春季上新", scheduled_at=scheduled
        )
        return room.id


def test_following_hosts_and_who_may(client: TestClient, make_account: MakeAccount) -> None:
    host, viewer, regulator = make_account(Role.HOST), make_account(), make_account(Role.REGULATOR)
    assert client.post(f"/api/hosts/{host.id}/follow", headers=viewer.headers).status_code == 204
    assert client.post(f"/api/hosts/{host.id}/follow", headers=viewer.headers).status_code == 204
    assert client.get("/api/me/follows", headers=viewer.headers).json()["hosts"] == [host.id]
    assert client.post(f"/api/hosts/{viewer.id}/follow", headers=host.headers).status_code == 404
    assert client.post(f"/api/hosts/{host.id}/follow", headers=host.headers).status_code == 422
    assert client.post(f"/api/hosts/{host.id}/follow", headers=regulator.headers).status_code == 403
    assert client.post(f"/api/hosts/{host.id}/follow").status_code == 401
    assert client.delete(f"/api/hosts/{host.id}/follow", headers=viewer.headers).status_code == 204
    assert client.get("/api/me/follows", headers=viewer.headers).json()["hosts"] == []


def test_going_live_fans_out_to_host_and_shop_followers_once_in_a_job(
    client: TestClient, database_url: str, make_account: MakeAccount, settings: Settings
) -> None:
    host, merchant = make_account(Role.HOST), make_account(Role.MERCHANT)
    _, shop_id = make_product(database_url, merchant)
    with unit_of_work(database_url) as session:
        invitation = staff.invite_staff(
            session, owner=session.get_one(User, merchant.id), user_id=host.id
        )
        staff.accept_invitation(
            session, invitee=session.get_one(User, host.id), invitation_id=invitation.id
        )
    both = bulk_followers(database_url, count=30, host_id=host.id, shop_id=shop_id, prefix="both")
    shop_only = bulk_followers(database_url, count=20, shop_id=shop_id, prefix="shoponly")
    host_only = bulk_followers(database_url, count=7, host_id=host.id, prefix="hostonly")
    stranger = make_account()
    room_id = _room(database_url, host)

    assert client.post(f"/api/rooms/{room_id}/start", headers=host.headers).status_code == 200
    with unit_of_work(database_url) as session:
        fan_out = session.scalars(select(FanOut)).one()
        assert (fan_out.status, fan_out.delivered) == (FanOutStatus.PENDING, 0)
        assert session.scalar(select(func.count()).select_from(Notification)) == 0

    covered = run_pending_fan_outs(settings.resolved_database_url(), batch_size=16, mailing=None)
    assert covered == 57
    again = run_pending_fan_outs(settings.resolved_database_url(), batch_size=16, mailing=None)
    assert again == 0
    with unit_of_work(database_url) as session:
        fan_out = session.scalars(select(FanOut)).one()
        assert (fan_out.status, fan_out.delivered) == (FanOutStatus.DONE, 57)
        written = session.scalars(select(Notification.user_id).order_by(Notification.user_id)).all()
    assert written == sorted(both + shop_only + host_only)
    assert _notices(database_url, both[0]) == [("room_live", f"room_live:{room_id}")]
    assert _notices(database_url, stranger.id) == []


def test_the_centre_counts_unread_and_marks_read(
    client: TestClient, database_url: str, make_account: MakeAccount, settings: Settings
) -> None:
    host, fan, other = make_account(Role.HOST), make_account(), make_account()
    for follower in (fan, other):
        client.post(f"/api/hosts/{host.id}/follow", headers=follower.headers)
    for _ in range(3):
        room_id = _room(database_url, host)
        client.post(f"/api/rooms/{room_id}/start", headers=host.headers)
        client.post(f"/api/rooms/{room_id}/end", headers=host.headers)
    run_pending_fan_outs(settings.resolved_database_url(), batch_size=100, mailing=None)

    page = client.get("/api/notifications", headers=fan.headers).json()
    assert page["unread"] == 3
    assert [item["kind"] for item in page["items"]] == ["room_live"] * 3
    assert page["items"][0]["title"] == f"{host.username} 开播了"
    newest = page["items"][0]["id"]
    assert (
        client.post(f"/api/notifications/{newest}/read", headers=other.headers).status_code == 404
    )
    marked = client.post(f"/api/notifications/{newest}/read", headers=fan.headers).json()
    assert marked == {"marked": 1, "unread": 2}
    assert client.post(f"/api/notifications/{newest}/read", headers=fan.headers).json() == {
        "marked": 0,
        "unread": 2,
    }
    unread = client.get("/api/notifications?unread_only=true", headers=fan.headers).json()
    assert newest not in [item["id"] for item in unread["items"]]
    older = client.get(f"/api/notifications?before_id={newest}", headers=fan.headers).json()
    assert len(older["items"]) == 2
    assert client.post("/api/notifications/read-all", headers=fan.headers).json() == {
        "marked": 2,
        "unread": 0,
    }
    assert client.get("/api/notifications", headers=other.headers).json()["unread"] == 3


def test_a_subscribed_room_reminds_once_ten_minutes_before(
    client: TestClient, database_url: str, make_account: MakeAccount
) -> None:
    host, fan, late = make_account(Role.HOST), make_account(), make_account()
    soon = _room(database_url, host, minutes_ahead=8)
    later = _room(database_url, host, minutes_ahead=120)
    for room_id in (soon, later):
        assert client.post(f"/api/rooms/{room_id}/reminder", headers=fan.headers).status_code == 204
    assert client.get("/api/me/follows", headers=fan.headers).json()["rooms"] == [soon, later]
    with unit_of_work(database_url) as session:
        assert reminders.remind_starting_rooms(session, minutes=10, mailing=None) == 1
    with unit_of_work(database_url) as session:
        assert reminders.remind_starting_rooms(session, minutes=10, mailing=None) == 0
    assert _notices(database_url, fan.id) == [("room_starting", f"room_starting:{soon}")]
    live_room = _room(database_url, host)
    client.post(f"/api/rooms/{live_room}/start", headers=host.headers)
    refused = client.post(f"/api/rooms/{live_room}/reminder", headers=late.headers)
    assert (refused.status_code, refused.json()["code"]) == (409, "room_not_scheduled")
    assert client.post("/api/rooms/999999/reminder", headers=late.headers).status_code == 404


def test_expiring_coupons_and_approved_refunds_notify_their_owner(
    database_url: str, make_account: MakeAccount, settings: Settings
) -> None:
    merchant, holder, idle = make_account(Role.MERCHANT), make_account(), make_account()
    make_product(database_url, merchant)
    now = utcnow()
    with unit_of_work(database_url) as session:
        actor = session.get_one(User, merchant.id)
        ending, lasting = (
            coupons.create_coupon(
                session,
                actor=actor,
                body=CouponIn(
                    code=code,
                    name=code,
                    kind="fixed",
                    amount=500,
                    starts_at=now - timedelta(hours=1),
                    ends_at=now + hours,
                    total_quantity=10,
                ),
            )
            for code, hours in (("ENDSOON", timedelta(hours=3)), ("LATER", timedelta(days=5)))
        )
        for coupon in (ending, lasting):
            coupons.grab_coupon(session, user=session.get_one(User, holder.id), coupon_id=coupon.id)
    for _ in range(2):
        with unit_of_work(database_url) as session:
            reminders.warn_expiring_coupons(session, mailing=None)
    assert [kind for kind, _ in _notices(database_url, holder.id)] == ["coupon_expiring"]
    assert _notices(database_url, idle.id) == []

    refund = AfterSaleRefunded(after_sale_id=5, order_id=9, buyer_id=holder.id, amount=1_990)
    listener = NotifyOnDomainEvents(settings)
    listener.refund_approved(refund)
    listener.refund_approved(refund)  # delivered twice: told once
    assert _notices(database_url, holder.id)[-1] == ("refund_decided", "refund:5")
    assert len(_notices(database_url, holder.id)) == 2


def test_opted_in_users_get_an_email_with_a_one_click_unsubscribe(
    client: TestClient, database_url: str, make_account: MakeAccount, settings: Settings
) -> None:
    host, keen, quiet = make_account(Role.HOST), make_account(), make_account()
    for follower in (keen, quiet):
        client.post(f"/api/hosts/{host.id}/follow", headers=follower.headers)
    chosen = client.put(
        "/api/notifications/preferences",
        json={"email": "keen@example.com", "kinds": {"room_live": {"in_app": True, "email": True}}},
        headers=keen.headers,
    )
    assert chosen.status_code == 200
    assert chosen.json()["kinds"]["room_live"] == {"in_app": True, "email": True}
    assert chosen.json()["kinds"]["order_shipped"] == {"in_app": True, "email": False}
    bad = client.put(
        "/api/notifications/preferences", json={"email": "not an address"}, headers=quiet.headers
    )
    assert bad.status_code == 422
    room_id = _room(database_url, host)
    client.post(f"/api/rooms/{room_id}/start", headers=host.headers)

    with smtp_sink() as (inbox, port):
        sink_settings = settings.model_copy(update={"smtp_port": port})
        first = run_notification_jobs_once(sink_settings)
        second = run_notification_jobs_once(sink_settings)
    assert (first["fanned_out"], first["emailed"]) == (2, 1)
    assert (second["fanned_out"], second["emailed"]) == (0, 0)
    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    assert message["To"] == "keen@example.com"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = message["List-Unsubscribe"].strip("<>")
    assert link.startswith(f"{settings.site_url}/notifications/unsubscribe?token=")
    with unit_of_work(database_url) as session:
        assert session.scalars(select(OutboundEmail.status)).all() == [OutboundEmailStatus.SENT]

    token = urlsplit(link).query.removeprefix("token=")
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    refused = client.post(f"/notifications/unsubscribe?token={forged}")
    assert refused.status_code == 422
    asked = client.get(f"/notifications/unsubscribe?token={token}")
    assert asked.status_code == 200
    assert "确认退订" in asked.text
    assert (
        client.get("/api/notifications/preferences", headers=keen.headers).json()["kinds"][
            "room_live"
        ]["email"]
        is True
    )  # opening the link changes nothing
    done = client.post(
        f"/notifications/unsubscribe?token={token}", data={"List-Unsubscribe": "One-Click"}
    )
    assert done.status_code == 200
    assert "关注的主播开播" in done.text
    kinds = client.get("/api/notifications/preferences", headers=keen.headers).json()["kinds"]
    assert kinds["room_live"] == {"in_app": True, "email": False}
    other_kind = unsubscribe_token(SECRET, user_id=keen.id, kind=NotificationKind.ROOM_LIVE)
    assert other_kind != token  # signed with the app's key, not a guessable one


SECRET = "not-the-app-key"


def test_a_rejected_refund_request_tells_the_buyer_why(
    client: TestClient, database_url: str, make_account: MakeAccount
) -> None:
    merchant, buyer = make_account(Role.MERCHANT), make_account()
    product_id, _ = make_product(database_url, merchant)
    line = order_line(database_url, buyer=buyer, merchant=merchant, product_id=product_id)
    asked = client.post(
        f"/api/orders/{line.order_id}/after-sales",
        json={"kind": "refund", "reason": "不想要了"},
        headers=buyer.headers,
    )
    assert asked.status_code == 201, asked.text
    rejected = client.post(
        f"/api/after-sales/{asked.json()['id']}/decision",
        json={"approve": False, "reason": "已发出，请收货后申请退货"},
        headers=merchant.headers,
    )
    assert rejected.status_code == 200, rejected.text
    page = client.get("/api/notifications", headers=buyer.headers).json()
    assert [item["kind"] for item in page["items"]] == ["refund_decided"]
    assert page["items"][0]["title"] == "退款申请被商家拒绝"
    assert "已发出，请收货后申请退货" in page["items"][0]["body"]
