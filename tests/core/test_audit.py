"""The hash-chained audit log: appends, tamper detection, concurrency, pruning,
the CLI, the vault's decryptions, and the regulator's read-only view."""

from __future__ import annotations

import csv
import io
import threading
from datetime import UTC, datetime, timedelta

import orjson
import pytest
import typer
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from liveshop.accounts.models import Role
from liveshop.app import create_app
from liveshop.core.audit.cli import app as audit_cli
from liveshop.core.audit.log import (
    append_audit,
    entries_about,
    prune_audit_log,
    verify_audit_chain,
)
from liveshop.core.audit.models import AuditChainHead, AuditEntry
from liveshop.core.db import unit_of_work
from liveshop.core.settings import Settings
from liveshop.governance.models import (
    Inspection,
    InspectionResult,
    InspectionTarget,
    Penalty,
    PenaltyKind,
    SubjectType,
)
from liveshop.governance.regulator_api import router as regulator_router
from liveshop.payments import vault
from liveshop.payments.vault import MasterKey
from tests.conftest import MakeAccount

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    """The app with the regulator's router (until app.py includes it)."""
    application = create_app(settings)
    if not any(
        getattr(route, "path", "").startswith("/api/regulator") for route in application.routes
    ):
        application.include_router(regulator_router)
    return application


def _append_three(database_url: str) -> None:
    with unit_of_work(database_url) as session:
        for number, action in enumerate(("admin.ban", "moderation.delete", "vault.reveal")):
            append_audit(
                session,
                actor=f"user:{number + 1}",
                action=action,
                subject=f"user:{number + 10}",
                details={"rule": f"rule {number}", "zh": "违规"},
                at=T0 + timedelta(hours=number),
            )


def _entries(session: Session) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))


def test_entries_chain_each_to_the_previous_hash(database_url: str, session: Session) -> None:
    _append_three(database_url)
    entries = _entries(session)
    assert [entry.seq for entry in entries] == [1, 2, 3]
    assert entries[0].prev_hash == "0" * 64
    assert [entry.prev_hash for entry in entries[1:]] == [entry.hash for entry in entries[:-1]]
    assert entries[0].details == '{"rule":"rule 0","zh":"违规"}'
    report = verify_audit_chain(session)
    assert (report.ok, report.entries, report.first_seq, report.last_seq) == (True, 3, 1, 3)
    assert report.first_bad_seq is None


def test_an_empty_log_verifies(session: Session) -> None:
    report = verify_audit_chain(session)
    assert (report.ok, report.entries) == (True, 0)


@pytest.mark.parametrize(
    ("tamper", "bad_seq", "problem"),
    [
        (
            update(AuditEntry).where(AuditEntry.seq == 2).values(details='{"rule":"none"}'),
            2,
            "changed",
        ),
        (update(AuditEntry).where(AuditEntry.seq == 2).values(at=T0), 2, "changed"),
        (delete(AuditEntry).where(AuditEntry.seq == 2), 2, "missing"),
        (delete(AuditEntry).where(AuditEntry.seq == 3), 3, "truncated"),
        (delete(AuditEntry).where(AuditEntry.seq == 1), 1, "missing"),
    ],
    ids=["changed-details", "changed-time", "removed-middle", "removed-last", "removed-first"],
)
def test_verify_finds_the_first_changed_or_removed_entry(
    database_url: str, session: Session, tamper: object, bad_seq: int, problem: str
) -> None:
    _append_three(database_url)
    session.execute(tamper)  # type: ignore[call-overload]
    session.commit()
    report = verify_audit_chain(session)
    assert (report.ok, report.first_bad_seq, report.problem) == (False, bad_seq, problem)


def test_verify_finds_reordered_entries(database_url: str, session: Session) -> None:
    """Swap the content of entries 2 and 3 (their seq stay): entry 2 no longer matches."""
    _append_three(database_url)
    second, third = _entries(session)[1:]
    swapped = {
        2: (third.actor, third.action, third.subject, third.details, third.at),
        3: (second.actor, second.action, second.subject, second.details, second.at),
    }
    for seq, (actor, action, subject, details, at) in swapped.items():
        session.execute(
            update(AuditEntry)
            .where(AuditEntry.seq == seq)
            .values(actor=actor, action=action, subject=subject, details=details, at=at)
        )
    session.commit()
    report = verify_audit_chain(session)
    assert (report.ok, report.first_bad_seq, report.problem) == (False, 2, "changed")


def test_verify_finds_an_entry_whose_hash_was_recomputed_alone(
    database_url: str, session: Session
) -> None:
    """Rewriting one entry with a fresh hash breaks the next entry's link."""
    _append_three(database_url)
    session.execute(update(AuditEntry).where(AuditEntry.seq == 2).values(hash="f" * 64))
    session.commit()
    report = verify_audit_chain(session)
    assert (report.first_bad_seq, report.problem) == (2, "changed")


def test_concurrent_writers_never_fork_the_chain(database_url: str, session: Session) -> None:
    writers, each = 6, 5
    errors: list[BaseException] = []
    start = threading.Barrier(writers)

    def write(worker: int) -> None:
        try:
            start.wait()
            for number in range(each):
                with unit_of_work(database_url) as own:
                    append_audit(
                        own, actor=f"user:{worker}", action="test.write", subject=f"n:{number}"
                    )
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(worker,)) for worker in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert [entry.seq for entry in _entries(session)] == list(range(1, writers * each + 1))
    report = verify_audit_chain(session)
    assert (report.ok, report.entries) == (True, writers * each)


def test_pruning_old_entries_keeps_the_chain_checkable(database_url: str, session: Session) -> None:
    _append_three(database_url)
    with unit_of_work(database_url) as own:
        removed = prune_audit_log(own, before=T0 + timedelta(hours=1, minutes=30), actor="system:t")
    assert removed == 2
    entries = _entries(session)
    assert [(entry.seq, entry.action) for entry in entries] == [
        (3, "vault.reveal"),
        (4, "audit.pruned"),
    ]
    report = verify_audit_chain(session)
    assert (report.ok, report.entries, report.first_seq, report.last_seq) == (True, 2, 3, 4)
    session.rollback()  # SQLite: let go of the write lock the reads took
    with unit_of_work(database_url) as own:
        assert prune_audit_log(own, before=T0, actor="system:t") == 0


def test_a_prune_the_chain_does_not_record_is_found(database_url: str, session: Session) -> None:
    """Deleting the oldest entries and moving the head's anchor by hand is not a prune."""
    _append_three(database_url)
    first = _entries(session)[0]
    session.execute(delete(AuditEntry).where(AuditEntry.seq == 1))
    session.execute(update(AuditChainHead).values(pruned_through_seq=1, anchor_hash=first.hash))
    session.commit()
    report = verify_audit_chain(session)
    assert (report.ok, report.first_bad_seq, report.problem) == (False, 1, "unrecorded_prune")


def test_bad_references_are_refused_and_nothing_is_written(
    database_url: str, session: Session
) -> None:
    from liveshop.core.errors import InvalidInput

    with pytest.raises(InvalidInput), unit_of_work(database_url) as own:
        append_audit(own, actor=" ", action="x", subject="y")
    with pytest.raises(InvalidInput), unit_of_work(database_url) as own:
        append_audit(own, actor="user:1", action="x" * 61, subject="y")
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_revealing_a_card_number_is_audited_in_the_chain(
    database_url: str, settings: Settings, session: Session
) -> None:
    master = MasterKey(settings.resolved_vault_master_key())
    with unit_of_work(database_url) as own:
        token = vault.store_card(own, master=master, number="4242424242424242")
    with unit_of_work(database_url) as own:
        number = vault.reveal_number(
            own, master=master, token=token, actor="user:7", reason="charge payment 3"
        )
    assert number == "4242424242424242"
    entries = entries_about(session, ref="user:7")
    assert [(e.actor, e.action, e.subject, e.details) for e in entries] == [
        ("user:7", "vault.reveal", f"vault_card:{token}", '{"reason":"charge payment 3"}')
    ]
    assert verify_audit_chain(session).ok


@pytest.fixture
def cli(cli_env: None) -> typer.Typer:
    parent = typer.Typer()
    parent.add_typer(audit_cli, name="audit")  # as liveshop.cli registers it
    return parent


def test_the_cli_verifies_and_exits_1_on_a_breach(
    cli: typer.Typer, database_url: str, session: Session
) -> None:
    _append_three(database_url)
    intact = CliRunner().invoke(cli, ["audit", "verify", "--format", "json"])
    assert intact.exit_code == 0, intact.output
    assert orjson.loads(intact.output) == {
        "ok": True,
        "entries": 3,
        "first_seq": 1,
        "last_seq": 3,
        "first_bad_seq": None,
        "problem": None,
        "detail": "",
    }
    session.execute(update(AuditEntry).where(AuditEntry.seq == 2).values(actor="user:99"))
    session.commit()
    broken = CliRunner().invoke(cli, ["audit", "verify", "--format", "json"])
    assert broken.exit_code == 1
    assert orjson.loads(broken.output)["first_bad_seq"] == 2
    table = CliRunner().invoke(cli, ["audit", "verify"])
    assert table.exit_code == 1
    assert "broken at entry 2" in table.output


# --- the regulator ---


def _count(session: Session) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(AuditEntry)) or 0)


def test_only_the_regulator_reads_and_others_get_403_and_nothing(
    client: TestClient, make_account: MakeAccount, database_url: str, session: Session
) -> None:
    _append_three(database_url)
    for role in (Role.VIEWER, Role.ADMIN):
        outsider = make_account(role)
        for path in (
            "/api/regulator/audit",
            "/api/regulator/statistics",
            "/api/regulator/audit/verify",
        ):
            response = client.get(path, headers=outsider.headers)
            assert response.status_code == 403, (role, path)
            assert response.json() == {
                "detail": "this is the regulator's view",
                "code": "not_regulator",
            }
    assert client.get("/api/regulator/audit").status_code == 401
    assert _count(session) == 3


def test_the_regulator_exports_a_date_range_as_json_and_csv_and_is_audited(
    client: TestClient, make_account: MakeAccount, database_url: str, session: Session
) -> None:
    _append_three(database_url)
    regulator = make_account(Role.REGULATOR)
    window = {"start": "2026-01-05T09:30:00Z", "end": "2026-01-05T11:00:00"}
    response = client.get("/api/regulator/audit", params=window, headers=regulator.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert [entry["seq"] for entry in body["entries"]] == [2]
    assert body["entries"][0]["details"] == {"rule": "rule 1", "zh": "违规"}
    assert body["next_after_seq"] is None

    exported = client.get(
        "/api/regulator/audit", params={"format": "csv"}, headers=regulator.headers
    )
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [row["seq"] for row in rows] == ["1", "2", "3", "4"]  # 4: the first read
    assert rows[3]["action"] == "regulator.read"
    assert orjson.loads(rows[0]["details"]) == {"rule": "rule 0", "zh": "违规"}

    paged = client.get(
        "/api/regulator/audit", params={"limit": 2, "after_seq": 1}, headers=regulator.headers
    ).json()
    assert ([e["seq"] for e in paged["entries"]], paged["next_after_seq"]) == ([2, 3], 3)

    reads = [e for e in _entries(session) if e.action == "regulator.read"]
    assert [(e.actor, e.subject) for e in reads] == [(f"user:{regulator.id}", "audit_log")] * 3
    assert orjson.loads(reads[0].details) == {
        "after_seq": 0,
        "end": "2026-01-05T11:00:00+00:00",
        "format": "json",
        "rows": 1,
        "start": "2026-01-05T09:30:00+00:00",
    }
    assert verify_audit_chain(session).ok


def _enforcement_records(database_url: str) -> None:
    with unit_of_work(database_url) as session:
        for number, kind in enumerate((PenaltyKind.WARNING, PenaltyKind.WARNING)):
            session.add(
                Penalty(
                    kind=kind,
                    subject_type=SubjectType.USER,
                    subject_id=10 + number,
                    rule="广告法 §9",
                    evidence={"comment": "最好的"},
                    starts_at=T0,
                    appeal_deadline=T0 + timedelta(days=7),
                    created_at=T0 + timedelta(days=number * 40),
                )
            )
        session.add(
            Inspection(
                target_type=InspectionTarget.PRODUCT,
                target_id=3,
                seed="s",
                rate="0.05",
                result=InspectionResult.FAIL,
                findings="label missing",
                sampled_at=T0,
            )
        )


def test_the_regulator_sees_statistics_and_the_chain_check(
    client: TestClient, make_account: MakeAccount, database_url: str
) -> None:
    _append_three(database_url)
    _enforcement_records(database_url)
    regulator = make_account(Role.REGULATOR)
    stats = client.get(
        "/api/regulator/statistics",
        params={"start": "2026-01-01", "end": "2026-02-01"},
        headers=regulator.headers,
    ).json()
    assert stats["actions"] == {"admin.ban": 1, "moderation.delete": 1, "vault.reveal": 1}
    assert stats["penalties_by_kind"] == {"warning": 1}
    assert stats["penalties_by_subject"] == {"user": 1}
    assert stats["inspections_by_result"] == {"fail": 1}
    as_csv = client.get(
        "/api/regulator/statistics", params={"format": "csv"}, headers=regulator.headers
    )
    lines = as_csv.text.splitlines()
    assert lines[0] == "figure,key,count"
    assert "actions,regulator.read,1" in lines
    assert "penalties_by_kind,warning,2" in lines
    check = client.get("/api/regulator/audit/verify", headers=regulator.headers).json()
    assert (check["ok"], check["entries"], check["first_bad_seq"]) == (True, 5, None)
    bad = client.get(
        "/api/regulator/audit",
        params={"start": "2026-02-01", "end": "2026-01-01"},
        headers=regulator.headers,
    )
    assert (bad.status_code, bad.json()["code"]) == (422, "bad_range")


def test_the_regulator_exports_penalties_and_inspections(
    client: TestClient, make_account: MakeAccount, database_url: str, session: Session
) -> None:
    _enforcement_records(database_url)
    regulator = make_account(Role.REGULATOR)
    window = {"start": "2026-01-01", "end": "2026-02-01"}
    penalties = client.get(
        "/api/regulator/penalties", params=window, headers=regulator.headers
    ).json()
    assert [(p["subject_id"], p["kind"], p["rule"]) for p in penalties["penalties"]] == [
        (10, "warning", "广告法 §9")
    ]
    assert penalties["penalties"][0]["evidence"] == {"comment": "最好的"}
    assert penalties["next_after_id"] is None
    exported = client.get(
        "/api/regulator/inspections", params={"format": "csv"}, headers=regulator.headers
    )
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(row["target_type"], row["result"], row["findings"]) for row in rows] == [
        ("product", "fail", "label missing")
    ]
    outsider = make_account(Role.MODERATOR)
    assert client.get("/api/regulator/penalties", headers=outsider.headers).status_code == 403
    reads = session.scalars(
        select(AuditEntry.subject).where(AuditEntry.action == "regulator.read")
    ).all()
    assert reads == ["penalties", "inspections"]
