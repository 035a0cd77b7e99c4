"""Each data class's retention job removes or anonymises exactly what is past its period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from liveshop.accounts import service as accounts
from liveshop.accounts.models import ApiToken, Role, User
from liveshop.catalog.models import Shop
from liveshop.core.audit.log import append_audit, verify_audit_chain
from liveshop.core.audit.models import AuditEntry
from liveshop.core.settings import Settings
from liveshop.events.store import append_events, read_events
from liveshop.live.models import Comment, CommentKind, Question, Room
from liveshop.orders.models import Order, OrderStatus
from liveshop.privacy.models import Consent
from liveshop.privacy.retention import LEGAL_HOLD, RETENTION, DataClass, run_retention

NOW = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)


def _user(session: Session, name: str = "kept_user") -> User:
    return accounts.create_user(
        session, username=name, password="a long password", role=Role.VIEWER
    )


def _removed(session: Session, settings: Settings, data_class: DataClass) -> dict[str, int]:
    (run,) = run_retention(session, settings=settings, now=NOW, only={data_class})
    assert run.cutoff == NOW - RETENTION[data_class]
    return run.removed


def test_periods_meet_the_legal_minimums() -> None:
    assert timedelta(days=3 * 365) <= LEGAL_HOLD
    assert RETENTION[DataClass.AUDIT_LOG] >= timedelta(days=366)
    for held in (DataClass.CHAT_MESSAGES, DataClass.ORDER_ADDRESSES, DataClass.AUDIT_LOG):
        assert RETENTION[held] >= LEGAL_HOLD


def test_behaviour_events_past_half_a_year_are_deleted(
    session: Session, settings: Settings
) -> None:
    rows = [
        {
            "event_id": event_id,
            "event_type": "like",
            "user_id": "u_x",
            "room_id": 1,
            "product_id": None,
            "ts": NOW - age,
            "properties": {},
        }
        for event_id, age in (("old", timedelta(days=181)), ("new", timedelta(days=179)))
    ]
    append_events(settings.event_store_path(), rows)
    assert _removed(session, settings, DataClass.BEHAVIOUR_EVENTS) == {"behaviour_events": 1}
    assert [row["event_id"] for row in read_events(settings.event_store_path())] == ["new"]


def test_chat_and_questions_past_the_legal_hold_are_deleted(
    session: Session, settings: Settings
) -> None:
    user = _user(session)
    room = Room(host_id=user.id, title="room")
    session.add(room)
    session.flush()
    for comment_id, age in (
        (1, LEGAL_HOLD + timedelta(days=1)),
        (2, LEGAL_HOLD - timedelta(days=1)),
    ):
        session.add(
            Comment(
                id=comment_id,
                room_id=room.id,
                user_id=user.id,
                kind=CommentKind.COMMENT,
                text="hi",
                created_at=NOW - age,
            )
        )
    session.add(
        Question(room_id=room.id, user_id=user.id, text="q", created_at=NOW - LEGAL_HOLD * 2)
    )
    session.flush()
    assert _removed(session, settings, DataClass.CHAT_MESSAGES) == {"live_chat": 2}
    assert session.scalars(select(Comment.id)).all() == [2]
    assert session.scalars(select(Question.id)).all() == []


def test_dead_tokens_go_a_month_after_expiry_or_revocation(
    session: Session, settings: Settings
) -> None:
    user = _user(session)
    month = timedelta(days=30)
    tokens = {
        "expired_long_ago": (NOW - month - timedelta(days=1), None),
        "revoked_long_ago": (NOW + month, NOW - month - timedelta(days=1)),
        "revoked_lately": (NOW + month, NOW - timedelta(days=1)),
        "expired_lately": (NOW - timedelta(days=1), None),
        "live": (NOW + month, None),
    }
    for name, (expires_at, revoked_at) in tokens.items():
        session.add(
            ApiToken(user_id=user.id, token_hash=name, expires_at=expires_at, revoked_at=revoked_at)
        )
    session.flush()
    assert _removed(session, settings, DataClass.API_TOKENS) == {"api_tokens": 2}
    assert sorted(session.scalars(select(ApiToken.token_hash))) == [
        "expired_lately",
        "live",
        "revoked_lately",
    ]


def test_withdrawn_consents_are_kept_as_proof_for_the_legal_hold(
    session: Session, settings: Settings
) -> None:
    user = _user(session)
    ages = {"old": LEGAL_HOLD + timedelta(days=1), "recent": timedelta(days=400), "open": None}
    for purpose, age in ages.items():
        session.add(
            Consent(
                user_id=user.id,
                purpose=purpose,
                policy_version="v1",
                granted_at=NOW - LEGAL_HOLD * 2,
                withdrawn_at=None if age is None else NOW - age,
            )
        )
    session.flush()
    assert _removed(session, settings, DataClass.CONSENT_RECORDS) == {"consents": 1}
    assert sorted(session.scalars(select(Consent.purpose))) == ["open", "recent"]


def test_the_audit_log_is_pruned_past_its_period_and_still_verifies(
    session: Session, settings: Settings
) -> None:
    for action, age in (("old.one", LEGAL_HOLD * 2), ("old.two", LEGAL_HOLD + timedelta(days=1))):
        append_audit(session, actor="user:1", action=action, subject="s", at=NOW - age)
    append_audit(session, actor="user:1", action="recent", subject="s", at=NOW - timedelta(days=1))
    assert _removed(session, settings, DataClass.AUDIT_LOG) == {"audit_log": 2}
    actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)).all()
    assert actions == ["recent", "audit.pruned", "privacy.retention"]
    report = verify_audit_chain(session)
    assert (report.ok, report.first_seq, report.last_seq) == (True, 3, 5)


@pytest.mark.parametrize("status", [OrderStatus.COMPLETED, OrderStatus.PAID])
def test_order_addresses_are_anonymised_after_the_legal_hold_and_the_order_stays(
    session: Session, settings: Settings, status: OrderStatus
) -> None:
    buyer, merchant = _user(session, "old_buyer"), _user(session, "old_merchant")
    shop = Shop(owner_id=merchant.id, name="shop")
    session.add(shop)
    session.flush()
    address = {"recipient": "王小明", "phone": "13812345678", "region": "上海市", "line": "1号"}
    orders = {}
    for key, age in (("old", LEGAL_HOLD + timedelta(days=1)), ("recent", timedelta(days=10))):
        orders[key] = Order(
            buyer_id=buyer.id,
            shop_id=shop.id,
            status=status,
            currency="CNY",
            items_total=100,
            total=100,
            idempotency_key=key,
            request_fingerprint=key,
            address=address,
            created_at=NOW - age,
        )
        session.add(orders[key])
    session.flush()
    expected = 1 if status is OrderStatus.COMPLETED else 0  # an order in flight keeps it
    assert _removed(session, settings, DataClass.ORDER_ADDRESSES) == {"orders": expected}
    session.expire_all()
    old = session.get_one(Order, orders["old"].id)
    assert (old.address is None) == (status is OrderStatus.COMPLETED)
    assert (old.total, old.buyer_id) == (100, buyer.id)
    assert session.get_one(Order, orders["recent"].id).address == address


def test_a_run_with_nothing_to_do_writes_no_audit_entry(
    session: Session, settings: Settings
) -> None:
    runs = run_retention(session, settings=settings, now=NOW)
    assert [run.data_class for run in runs] == list(DataClass)
    assert all(sum(run.removed.values()) == 0 for run in runs)
    assert session.scalars(select(AuditEntry)).all() == []
