"""Enforcement: actions, what they answer to other packages, violation points,
the ladder, and the events and audit entries they leave."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from liveshop.accounts.models import Role, User
from liveshop.core.audit.log import verify_audit_chain
from liveshop.core.audit.models import AuditEntry
from liveshop.core.db import unit_of_work
from liveshop.core.errors import InvalidInput, PermissionDenied
from liveshop.core.settings import Settings
from liveshop.governance.events import FineImposed, ModerationActionTaken
from liveshop.governance.models import Penalty, PenaltyKind, SubjectType
from liveshop.governance.penalties import (
    ActionRequest,
    impose_penalty,
    violation_points,
)
from liveshop.governance.queries import (
    active_warnings,
    is_banned,
    is_muted,
    is_suspended,
    limited_room_ids,
    may_go_live,
    room_exposure_limited,
)
from tests.conftest import MakeAccount
from tests.governance.helpers import (
    api_client,
    make_room,
    make_shop_product,
    moderation_settings,
    recorded,
)

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def _impose(database_url: str, moderator_id: int, request: ActionRequest, now: datetime) -> int:
    with unit_of_work(database_url) as session:
        moderator = session.get_one(User, moderator_id)
        penalty = impose_penalty(
            session, moderator=moderator, request=request, settings=moderation_settings(), now=now
        )
        return penalty.id


def test_room_and_user_actions_answer_other_packages_and_leave_events(
    database_url: str, make_account: MakeAccount
) -> None:
    moderator = make_account(Role.MODERATOR)
    host = make_account(Role.HOST)
    viewer = make_account(Role.VIEWER)
    room_id = make_room(database_url, host)
    with recorded(ModerationActionTaken) as events:
        _impose(
            database_url,
            moderator.id,
            ActionRequest(
                PenaltyKind.MUTE,
                "abuse in chat",
                subject_type=SubjectType.USER,
                subject_id=viewer.id,
                room_id=room_id,
                minutes=10,
            ),
            T0,
        )
        _impose(
            database_url,
            moderator.id,
            ActionRequest(
                PenaltyKind.LIMIT_EXPOSURE,
                "misleading title",
                target_type="room",
                target_id=room_id,
                days=2,
            ),
            T0,
        )
        _impose(
            database_url,
            moderator.id,
            ActionRequest(
                PenaltyKind.SUSPENSION,
                "repeated fraud",
                subject_type=SubjectType.USER,
                subject_id=host.id,
                days=3,
            ),
            T0,
        )
    assert [(e.kind, e.target_type, e.target_id, e.room_id) for e in events] == [
        ("mute", "user", viewer.id, room_id),
        ("limit_exposure", "room", room_id, room_id),
        ("suspension", "user", host.id, None),
    ]
    assert events[0].until == T0 + timedelta(minutes=10)
    assert events[1].subject_id == host.id  # a room's action counts against its host
    with unit_of_work(database_url) as session:
        assert is_muted(session, user_id=viewer.id, room_id=room_id, now=T0 + timedelta(minutes=9))
        assert not is_muted(session, user_id=viewer.id, room_id=room_id + 1, now=T0)
        assert not is_muted(
            session, user_id=viewer.id, room_id=room_id, now=T0 + timedelta(minutes=10)
        )
        assert room_exposure_limited(session, room_id, now=T0 + timedelta(days=1))
        assert limited_room_ids(session, now=T0 + timedelta(days=1)) == {room_id}
        assert not room_exposure_limited(session, room_id, now=T0 + timedelta(days=2))
        assert is_suspended(session, user_id=host.id, now=T0 + timedelta(days=2, hours=23))
        assert not may_go_live(session, host_id=host.id, now=T0 + timedelta(days=1))
        assert not is_suspended(session, user_id=host.id, now=T0 + timedelta(days=3))
        assert may_go_live(session, host_id=host.id, now=T0 + timedelta(days=3))
        assert not is_banned(session, user_id=host.id, now=T0)
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)).all()
        assert actions == [
            "enforcement.mute",
            "enforcement.limit_exposure",
            "enforcement.suspension",
        ]
        assert verify_audit_chain(session).ok


def test_every_penalty_states_rule_evidence_and_appeal_deadline(
    database_url: str, make_account: MakeAccount
) -> None:
    moderator = make_account(Role.MODERATOR)
    viewer = make_account(Role.VIEWER)
    penalty_id = _impose(
        database_url,
        moderator.id,
        ActionRequest(
            PenaltyKind.DELETE_COMMENT,
            "off-platform trading: a WeChat id",
            target_type="comment",
            target_id=77,
            subject_type=SubjectType.USER,
            subject_id=viewer.id,
            room_id=5,
            evidence={"message": "加我 vx 123"},
        ),
        T0,
    )
    with unit_of_work(database_url) as session:
        penalty = session.get_one(Penalty, penalty_id)
        assert penalty.rule == "off-platform trading: a WeChat id"
        assert penalty.evidence == {"message": "加我 vx 123"}
        assert penalty.appeal_deadline == T0 + timedelta(days=7)
        assert (penalty.target_type, penalty.target_id, penalty.points) == ("comment", 77, 1)


def test_ladder_warns_fines_suspends_and_bans_once_each_within_the_window(
    database_url: str, make_account: MakeAccount
) -> None:
    moderator = make_account(Role.MODERATOR)
    merchant = make_account(Role.MERCHANT)
    shop_id, _ = make_shop_product(database_url, merchant)
    stop = ActionRequest(
        PenaltyKind.WARNING,
        "false claims",
        subject_type=SubjectType.SHOP,
        subject_id=shop_id,
        points=6,
    )
    with recorded(FineImposed, ModerationActionTaken) as events:
        _impose(database_url, moderator.id, stop, T0)  # 6 points: ladder warning
        _impose(database_url, moderator.id, stop, T0 + timedelta(days=1))  # 12: fine
        _impose(database_url, moderator.id, stop, T0 + timedelta(days=2))  # 18: nothing new
    fines = [event for event in events if isinstance(event, FineImposed)]
    assert [(fine.shop_id, fine.amount, fine.currency) for fine in fines] == [
        (shop_id, 50_000, "CNY")
    ]
    with unit_of_work(database_url) as session:
        automatic = session.scalars(
            select(Penalty).where(Penalty.imposed_by.is_(None)).order_by(Penalty.id)
        ).all()
        assert [(p.kind, p.ladder_step, p.amount) for p in automatic] == [
            (PenaltyKind.WARNING, 0, None),
            (PenaltyKind.FINE, 1, 50_000),
        ]
        assert automatic[1].rule == "ladder step 2: 12 violation points in 30 days (threshold 12)"
        assert automatic[1].evidence["triggered_by_moderator"] == moderator.id
        assert fines[0].penalty_id == automatic[1].id
    # 24 points within 30 days: suspended for 7 days; the points of day 0 then age out.
    _impose(database_url, moderator.id, stop, T0 + timedelta(days=3))
    with unit_of_work(database_url) as session:
        assert is_suspended(session, shop_id=shop_id, now=T0 + timedelta(days=9))
        assert not is_suspended(session, shop_id=shop_id, now=T0 + timedelta(days=10))
        settings = moderation_settings()
        later = T0 + timedelta(days=31)
        assert (
            violation_points(
                session,
                subject_type=SubjectType.SHOP,
                subject_id=shop_id,
                settings=settings,
                now=later,
            )
            == 18
        )
        assert session.scalar(select(func.count()).select_from(Penalty)) == 7


def test_ladder_fines_a_host_without_a_shop_but_never_a_viewer(
    database_url: str, make_account: MakeAccount
) -> None:
    moderator = make_account(Role.MODERATOR)
    host = make_account(Role.HOST)
    viewer = make_account(Role.VIEWER)
    with recorded(FineImposed) as fines:
        for user_id in (host.id, viewer.id):
            warning = ActionRequest(
                PenaltyKind.WARNING,
                "vulgar",
                subject_type=SubjectType.USER,
                subject_id=user_id,
                points=12,
            )
            _impose(database_url, moderator.id, warning, T0)
    assert [(fine.shop_id, fine.subject_type, fine.subject_id) for fine in fines] == [
        (None, "user", host.id)
    ]
    with unit_of_work(database_url) as session:
        warnings = active_warnings(session, host.id, now=T0 + timedelta(days=1))
        assert [w.imposed_by for w in warnings] == [None, moderator.id]  # newest first
        viewer_kinds = session.scalars(
            select(Penalty.kind).where(Penalty.subject_id == viewer.id).order_by(Penalty.id)
        ).all()
        assert viewer_kinds == [PenaltyKind.WARNING, PenaltyKind.WARNING]  # no fine


def test_only_moderators_act_and_a_refused_action_leaves_nothing(
    database_url: str, make_account: MakeAccount
) -> None:
    host = make_account(Role.HOST)
    viewer = make_account(Role.VIEWER)
    moderator = make_account(Role.MODERATOR)
    ban = ActionRequest(
        PenaltyKind.BAN, "spam", subject_type=SubjectType.USER, subject_id=viewer.id
    )
    with pytest.raises(PermissionDenied):
        _impose(database_url, host.id, ban, T0)
    mute = ActionRequest(
        PenaltyKind.MUTE, "spam", subject_type=SubjectType.USER, subject_id=viewer.id
    )
    with pytest.raises(InvalidInput, match="a mute needs minutes"):
        _impose(database_url, moderator.id, mute, T0)
    delete = ActionRequest(
        PenaltyKind.DELETE_COMMENT, "spam", subject_type=SubjectType.USER, subject_id=viewer.id
    )
    with pytest.raises(InvalidInput, match="delete_comment acts on a comment"):
        _impose(database_url, moderator.id, delete, T0)
    own = ActionRequest(
        PenaltyKind.BAN, "x", subject_type=SubjectType.USER, subject_id=moderator.id
    )
    with pytest.raises(PermissionDenied):
        _impose(database_url, moderator.id, own, T0)
    with unit_of_work(database_url) as session:
        assert session.scalar(select(func.count()).select_from(Penalty)) == 0
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == 0
        assert not is_banned(session, user_id=viewer.id)


def test_actions_api_needs_a_moderator_and_bans_stick(
    settings: Settings, database_url: str, make_account: MakeAccount
) -> None:
    moderator = make_account(Role.MODERATOR)
    viewer = make_account(Role.VIEWER)
    body = {"kind": "ban", "rule": "fraud", "target_type": "user", "target_id": viewer.id}
    with api_client(settings) as client:
        refused = client.post("/api/moderation/actions", json=body, headers=viewer.headers)
        assert refused.status_code == 403
        assert refused.json()["code"] == "not_moderator"
        created = client.post("/api/moderation/actions", json=body, headers=moderator.headers)
        assert created.status_code == 201, created.text
        penalty = created.json()
        assert (penalty["kind"], penalty["subject_type"], penalty["subject_id"]) == (
            "ban",
            "user",
            viewer.id,
        )
        assert penalty["ends_at"] is None
        assert penalty["automatic"] is False
        mine = client.get("/api/penalties/mine", headers=viewer.headers).json()
        assert [item["id"] for item in mine] == [penalty["id"]]
        other = make_account(Role.VIEWER)
        hidden = client.get(f"/api/penalties/{penalty['id']}", headers=other.headers)
        assert hidden.status_code == 404
    with unit_of_work(database_url) as session:
        assert is_banned(session, user_id=viewer.id)


def test_two_penalties_at_once_apply_each_ladder_step_once(
    database_url: str, make_account: MakeAccount
) -> None:
    first, second = make_account(Role.MODERATOR), make_account(Role.MODERATOR)
    merchant = make_account(Role.MERCHANT)
    shop_id, _ = make_shop_product(database_url, merchant)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def impose(moderator_id: int) -> None:
        warning = ActionRequest(
            PenaltyKind.WARNING, "spam", subject_type=SubjectType.SHOP, subject_id=shop_id, points=6
        )
        try:
            barrier.wait(timeout=30)
            _impose(database_url, moderator_id, warning, T0)
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=impose, args=(user.id,)) for user in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    with unit_of_work(database_url) as session:
        steps = session.scalars(
            select(Penalty.ladder_step)
            .where(Penalty.ladder_step.is_not(None))
            .order_by(Penalty.ladder_step)
        ).all()
        assert steps == [0, 1]  # one warning, one fine: 12 points in all
