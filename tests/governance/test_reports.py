"""Reports and the moderation queue: filing with evidence, claiming, deciding."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from liveshop.accounts.models import Role
from liveshop.core.audit.models import AuditEntry
from liveshop.core.db import unit_of_work
from liveshop.core.settings import Settings
from liveshop.governance.events import ModerationActionTaken
from liveshop.governance.models import Penalty, Report, ReportTarget
from liveshop.governance.reports import (
    CapturedEvidence,
    register_evidence_source,
)
from liveshop.wiring import connect_domains
from tests.conftest import MakeAccount
from tests.governance.helpers import api_client, make_room, recorded


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with api_client(settings) as test_client:
        yield test_client


@pytest.fixture
def comment_source() -> Iterator[dict[int, CapturedEvidence]]:
    """A comment evidence source, as ``live`` registers one (comment id -> evidence)."""
    comments: dict[int, CapturedEvidence] = {}

    def source(session: Session, comment_id: int) -> CapturedEvidence:
        return comments[comment_id]

    register_evidence_source(ReportTarget.COMMENT, source)
    yield comments
    connect_domains()  # live's own source, as the app registers it


def test_a_viewer_reports_a_comment_and_the_queue_shows_the_evidence(
    client: TestClient, make_account: MakeAccount
) -> None:
    viewer = make_account(Role.VIEWER)
    author = make_account(Role.VIEWER)
    moderator = make_account(Role.MODERATOR)
    body = {
        "target_type": "comment",
        "target_id": 41,
        "reason": "off_platform_trading",
        "details": "asks people to pay on WeChat",
        "evidence": {
            "message": "加我 vx abc_123",
            "author_id": author.id,
            "room_id": 9,
            "at": "2026-03-01T10:00:00Z",
            "context": [{"author_id": viewer.id, "text": "how to buy?"}],
        },
    }
    filed = client.post("/api/reports", json=body, headers=viewer.headers)
    assert filed.status_code == 201, filed.text
    assert filed.json()["status"] == "open"
    again = client.post("/api/reports", json=body, headers=viewer.headers)
    assert (again.status_code, again.json()["code"]) == (409, "already_reported")
    assert client.get("/api/moderation/queue", headers=viewer.headers).status_code == 403
    queue = client.get("/api/moderation/queue", headers=moderator.headers).json()
    assert len(queue) == 1
    item = queue[0]
    assert (item["accused_user_id"], item["room_id"], item["status"]) == (author.id, 9, "open")
    assert item["evidence"]["captured"] is None  # live registered no comment source here
    assert item["evidence"]["reported"]["message"] == "加我 vx abc_123"
    assert item["evidence"]["reported"]["context"] == [
        {"author_id": viewer.id, "text": "how to buy?"}
    ]


def test_captured_evidence_comes_from_the_registered_source_over_the_reporters_word(
    client: TestClient,
    make_account: MakeAccount,
    comment_source: dict[int, CapturedEvidence],
    database_url: str,
) -> None:
    viewer = make_account(Role.VIEWER)
    author = make_account(Role.VIEWER)
    comment_source[5] = CapturedEvidence(
        accused_user_id=author.id,
        room_id=3,
        facts={"message": "real text", "context": [{"text": "before"}], "at": "2026-03-01"},
    )
    client.post(
        "/api/reports",
        json={
            "target_type": "comment",
            "target_id": 5,
            "reason": "abuse",
            "evidence": {"message": "something else", "author_id": viewer.id},
        },
        headers=viewer.headers,
    )
    with unit_of_work(database_url) as session:
        report = session.scalars(select(Report)).one()
        assert (report.accused_user_id, report.room_id) == (author.id, 3)
        assert report.evidence["captured"]["message"] == "real text"
        assert report.evidence["reported"]["message"] == "something else"


def test_a_room_report_names_its_host_and_claims_are_exclusive(
    client: TestClient, make_account: MakeAccount, database_url: str
) -> None:
    viewer = make_account(Role.VIEWER)
    second = make_account(Role.VIEWER)
    host = make_account(Role.HOST)
    first_moderator = make_account(Role.MODERATOR)
    other_moderator = make_account(Role.ADMIN)
    room_id = make_room(database_url, host)
    report_ids = [
        client.post(
            "/api/reports",
            json={"target_type": "room", "target_id": room_id, "reason": "false_advertising"},
            headers=reporter.headers,
        ).json()["id"]
        for reporter in (viewer, second)
    ]
    claim = client.post(
        f"/api/moderation/reports/{report_ids[0]}/claim", headers=first_moderator.headers
    )
    assert claim.json()["claimed_by"] == first_moderator.id
    assert claim.json()["accused_user_id"] == host.id
    taken = client.post(
        f"/api/moderation/reports/{report_ids[0]}/claim", headers=other_moderator.headers
    )
    assert (taken.status_code, taken.json()["code"]) == (409, "claimed")
    decision = {
        "resolution": "claims 100% cure",
        "action": {"kind": "limit_exposure", "rule": "广告法 §9: absolute terms", "days": 3},
    }
    not_mine = client.post(
        f"/api/moderation/reports/{report_ids[0]}/decision",
        json=decision,
        headers=other_moderator.headers,
    )
    assert (not_mine.status_code, not_mine.json()["code"]) == (409, "not_claimed")
    with recorded(ModerationActionTaken) as events:
        decided = client.post(
            f"/api/moderation/reports/{report_ids[0]}/decision",
            json=decision,
            headers=first_moderator.headers,
        )
    assert decided.status_code == 200, decided.text
    result = decided.json()
    assert result["report"]["status"] == "actioned"
    penalty = result["penalty"]
    assert (penalty["kind"], penalty["target_type"], penalty["target_id"]) == (
        "limit_exposure",
        "room",
        room_id,
    )
    assert (penalty["subject_type"], penalty["subject_id"], penalty["report_id"]) == (
        "user",
        host.id,
        report_ids[0],
    )
    assert penalty["evidence"]["report_id"] == report_ids[0]
    assert [(e.kind, e.target_id) for e in events] == [("limit_exposure", room_id)]
    with unit_of_work(database_url) as session:
        statuses = session.scalars(select(Report.status).order_by(Report.id)).all()
        assert [status.value for status in statuses] == ["actioned", "actioned"]
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)).all()
        assert actions == [
            "moderation.report_claimed",
            "enforcement.limit_exposure",
            "moderation.report_actioned",
        ]
    assert client.get("/api/moderation/queue", headers=first_moderator.headers).json() == []


def test_a_dismissed_report_penalises_nobody(
    client: TestClient, make_account: MakeAccount, database_url: str
) -> None:
    viewer = make_account(Role.VIEWER)
    accused = make_account(Role.HOST)
    moderator = make_account(Role.MODERATOR)
    report_id = client.post(
        "/api/reports",
        json={"target_type": "user", "target_id": accused.id, "reason": "spam"},
        headers=viewer.headers,
    ).json()["id"]
    client.post(f"/api/moderation/reports/{report_id}/claim", headers=moderator.headers)
    with recorded(ModerationActionTaken) as events:
        dismissed = client.post(
            f"/api/moderation/reports/{report_id}/decision",
            json={"resolution": "no spam found"},
            headers=moderator.headers,
        )
    assert dismissed.json()["report"]["status"] == "dismissed"
    assert dismissed.json()["penalty"] is None
    assert events == []
    self_report = client.post(
        "/api/reports",
        json={"target_type": "user", "target_id": viewer.id, "reason": "spam"},
        headers=viewer.headers,
    )
    assert self_report.status_code == 422
    with unit_of_work(database_url) as session:
        assert session.scalar(select(func.count()).select_from(Penalty)) == 0


def test_a_regulator_files_no_report_and_the_queue_stays_empty(
    client: TestClient, make_account: MakeAccount, database_url: str
) -> None:
    """Regulators read the platform and write nothing in it (one once filed a report)."""
    regulator = make_account(Role.REGULATOR)
    accused = make_account(Role.VIEWER)
    body = {"target_type": "user", "target_id": accused.id, "reason": "spam"}

    filed = client.post("/api/reports", json=body, headers=regulator.headers)

    assert (filed.status_code, filed.json()) == (
        403,
        {"detail": "a regulator reads the platform and files nothing in it", "code": "wrong_role"},
    )
    with unit_of_work(database_url) as session:
        assert session.scalar(select(func.count(Report.id))) == 0
