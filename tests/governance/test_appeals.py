"""Appeals: filed by the penalised party before the deadline, decided by
another moderator than the one who imposed the penalty."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from liveshop.accounts.models import Role, User
from liveshop.core.db import unit_of_work
from liveshop.core.errors import Conflict, PermissionDenied
from liveshop.core.settings import Settings
from liveshop.governance.appeals import decide_appeal, file_appeal
from liveshop.governance.events import (
    FineImposed,
    FineRevoked,
    ModerationActionRevoked,
)
from liveshop.governance.models import (
    AppealStatus,
    Penalty,
    PenaltyKind,
    SubjectType,
)
from liveshop.governance.penalties import ActionRequest, impose_penalty, violation_points
from liveshop.governance.queries import is_suspended
from tests.conftest import MakeAccount
from tests.governance.helpers import (
    api_client,
    make_shop_product,
    moderation_settings,
    recorded,
)

T0 = datetime(2026, 4, 1, 8, 0, tzinfo=UTC)


def test_appeal_is_decided_by_another_moderator_and_overturning_undoes_it(
    settings: Settings, database_url: str, make_account: MakeAccount
) -> None:
    host = make_account(Role.HOST)
    imposer = make_account(Role.MODERATOR)
    reviewer = make_account(Role.MODERATOR)
    stranger = make_account(Role.HOST)
    with api_client(settings) as client:
        penalty = client.post(
            "/api/moderation/actions",
            json={
                "kind": "suspension",
                "rule": "counterfeit goods",
                "target_type": "user",
                "target_id": host.id,
                "days": 5,
                "points": 4,
            },
            headers=imposer.headers,
        ).json()
        path = f"/api/penalties/{penalty['id']}/appeal"
        assert (
            client.post(path, json={"statement": "x"}, headers=stranger.headers).json()["code"]
            == "not_your_penalty"
        )
        appeal = client.post(
            path,
            json={"statement": "the goods were genuine: invoices attached"},
            headers=host.headers,
        )
        assert appeal.status_code == 201, appeal.text
        again = client.post(path, json={"statement": "again"}, headers=host.headers)
        assert (again.status_code, again.json()["code"]) == (409, "appeal_exists")
        queue = client.get("/api/moderation/appeals", headers=reviewer.headers).json()
        assert [item["id"] for item in queue] == [appeal.json()["id"]]
        decision_path = f"/api/moderation/appeals/{appeal.json()['id']}/decision"
        same = client.post(
            decision_path, json={"overturn": True, "note": "ok"}, headers=imposer.headers
        )
        assert (same.status_code, same.json()["code"]) == (403, "same_moderator")
        with unit_of_work(database_url) as session:
            assert is_suspended(session, user_id=host.id)  # the refusal changed nothing
        with recorded(ModerationActionRevoked) as events:
            decided = client.post(
                decision_path,
                json={"overturn": True, "note": "invoices check out"},
                headers=reviewer.headers,
            )
        assert decided.status_code == 200, decided.text
        assert (decided.json()["status"], decided.json()["decided_by"]) == (
            "overturned",
            reviewer.id,
        )
        assert [(e.penalty_id, e.kind, e.subject_id) for e in events] == [
            (penalty["id"], "suspension", host.id)
        ]
        twice = client.post(
            decision_path, json={"overturn": False}, headers=make_account(Role.ADMIN).headers
        )
        assert (twice.status_code, twice.json()["code"]) == (409, "appeal_decided")
    with unit_of_work(database_url) as session:
        assert not is_suspended(session, user_id=host.id)
        assert session.get_one(Penalty, penalty["id"]).revoked_by == reviewer.id
        assert (
            violation_points(
                session,
                subject_type=SubjectType.USER,
                subject_id=host.id,
                settings=moderation_settings(),
            )
            == 0
        )


def test_an_appeal_after_the_deadline_is_refused(
    database_url: str, make_account: MakeAccount
) -> None:
    host = make_account(Role.HOST)
    moderator = make_account(Role.MODERATOR)
    with unit_of_work(database_url) as session:
        penalty = impose_penalty(
            session,
            moderator=session.get_one(User, moderator.id),
            request=ActionRequest(
                PenaltyKind.WARNING,
                "vulgar language",
                subject_type=SubjectType.USER,
                subject_id=host.id,
            ),
            settings=moderation_settings(),
            now=T0,
        )
        penalty_id = penalty.id
    with unit_of_work(database_url) as session, pytest.raises(Conflict, match="deadline"):
        file_appeal(
            session,
            appellant=session.get_one(User, host.id),
            penalty_id=penalty_id,
            statement="please",
            now=T0 + timedelta(days=7, seconds=1),
        )


def test_a_ladder_fine_is_not_judged_by_the_moderator_who_triggered_it(
    database_url: str, make_account: MakeAccount
) -> None:
    merchant = make_account(Role.MERCHANT)
    moderator = make_account(Role.MODERATOR)
    reviewer = make_account(Role.MODERATOR)
    shop_id, _ = make_shop_product(database_url, merchant)
    with recorded(FineImposed) as fines, unit_of_work(database_url) as session:
        impose_penalty(
            session,
            moderator=session.get_one(User, moderator.id),
            request=ActionRequest(
                PenaltyKind.WARNING,
                "fake reviews",
                subject_type=SubjectType.SHOP,
                subject_id=shop_id,
                points=12,
            ),
            settings=moderation_settings(),
            now=T0,
        )
    fine_id = fines[0].penalty_id
    with unit_of_work(database_url) as session:
        appeal = file_appeal(
            session,
            appellant=session.get_one(User, merchant.id),
            penalty_id=fine_id,
            statement="the reviews are real",
            now=T0 + timedelta(days=1),
        )
        appeal_id = appeal.id
    with unit_of_work(database_url) as session, pytest.raises(PermissionDenied):
        decide_appeal(
            session,
            moderator=session.get_one(User, moderator.id),
            appeal_id=appeal_id,
            overturn=True,
            note="mine",
        )
    with recorded(FineRevoked) as refunds, unit_of_work(database_url) as session:
        decided = decide_appeal(
            session,
            moderator=session.get_one(User, reviewer.id),
            appeal_id=appeal_id,
            overturn=True,
            note="reviews verified",
        )
        assert decided.status is AppealStatus.OVERTURNED
    assert [(r.shop_id, r.amount, r.penalty_id) for r in refunds] == [(shop_id, 50_000, fine_id)]
    with unit_of_work(database_url) as session:
        revoked = session.scalars(select(Penalty.id).where(Penalty.revoked_at.is_not(None))).all()
        assert revoked == [fine_id]
