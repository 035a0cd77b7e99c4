"""The in-process rolling state survives a restart: a new engine on the same home
starts from the journal's last 24 h, so velocity counts go on where they stopped
(and a card tester cannot reset them by waiting for a deploy)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from liveshop.app import create_app
from liveshop.core.clock import utcnow
from liveshop.core.risk import RiskDecision, RiskPath, RiskRequest
from liveshop.core.settings import Settings
from liveshop.risk.online import OnlineRisk, online_risk, to_event
from tests.conftest import SECRET_KEY

RULES = "block if is_payment and user_count_24h >= 4\nchallenge if user_fail_count_1h >= 2"


def _settings(home: Path) -> Settings:
    return Settings(
        home=home,
        database_url=f"sqlite:///{home / 'unused.db'}",
        redis_url=None,
        environment="development",
        risk_rules=RULES,
    )


def _payment(at: datetime, *, user_id: int = 7) -> RiskRequest:
    return RiskRequest(
        path=RiskPath.PAYMENT,
        user_id=user_id,
        account_created_at=at - timedelta(days=300),
        at=at,
        device_id="device-a",
        card_fp="card-a",
        amount=1_999,
    )


def test_counts_go_on_after_a_restart(tmp_path: Path) -> None:
    now = utcnow()
    before = OnlineRisk(_settings(tmp_path))
    old = before.assess(_payment(now - timedelta(hours=25)))  # beyond the longest window
    first = [before.assess(_payment(now - timedelta(minutes=minutes))) for minutes in (30, 20, 10)]
    before.record_outcome(_payment(now - timedelta(minutes=10)), succeeded=False)

    after = OnlineRisk(_settings(tmp_path))  # the process restarted: same home, new state
    features = after.engine().assess(to_event(_payment(now))).features
    fourth = OnlineRisk(_settings(tmp_path)).assess(_payment(now))

    assert [verdict.decision for verdict in (old, *first)] == [RiskDecision.ALLOW] * 4
    assert (features["user_count_24h"], features["user_count_1h"]) == (4.0, 4.0)
    assert (features["card_count_1h"], features["user_fail_count_1h"]) == (4.0, 1.0)
    assert fourth.decision is RiskDecision.BLOCK


def test_another_users_history_and_a_fresh_home_start_empty(tmp_path: Path) -> None:
    now = utcnow()
    OnlineRisk(_settings(tmp_path / "a")).assess(_payment(now - timedelta(minutes=5)))

    other_user = (
        OnlineRisk(_settings(tmp_path / "a")).engine().assess(to_event(_payment(now, user_id=8)))
    )
    other_home = OnlineRisk(_settings(tmp_path / "b")).engine().assess(to_event(_payment(now)))

    assert other_user.features["user_count_24h"] == 1.0
    assert other_user.features["card_count_24h"] == 2.0  # the card was seen before the restart
    assert other_home.features["user_count_24h"] == 1.0
    assert other_home.features["card_count_24h"] == 1.0


def test_a_line_cut_short_by_a_crash_does_not_stop_the_start(tmp_path: Path) -> None:
    now = utcnow()
    OnlineRisk(_settings(tmp_path)).assess(_payment(now - timedelta(minutes=2)))
    [journal_file] = (tmp_path / "risk" / "journal").glob("*.jsonl")
    with journal_file.open("a", encoding="utf-8") as handle:
        handle.write('{"ref":"cut","event":{"ts":')  # the process died mid-write
    OnlineRisk(_settings(tmp_path)).assess(_payment(now - timedelta(minutes=1)))

    features = OnlineRisk(_settings(tmp_path)).engine().assess(to_event(_payment(now))).features

    assert features["user_count_24h"] == 3.0


def test_the_app_rebuilds_the_state_when_it_starts_not_on_the_first_assessment(
    sqlite_url: str, home: Path
) -> None:
    """The journal is read in the app's lifespan: removed after the start, it is not
    needed by the first assessment, which counts the payments made before."""
    now = utcnow()
    settings = Settings(
        home=home,
        database_url=sqlite_url,
        redis_url=None,
        environment="development",
        risk_rules=RULES,
        secret_key=SECRET_KEY,
    )
    earlier = OnlineRisk(settings)
    for minutes in (30, 20, 10):
        earlier.assess(_payment(now - timedelta(minutes=minutes)))

    with TestClient(create_app(settings)):
        deadline = time.monotonic() + 60
        while not online_risk(settings).started and time.monotonic() < deadline:
            time.sleep(0.05)  # the start-up builds it beside the first requests
        for journal_file in (home / "risk" / "journal").glob("*.jsonl"):
            journal_file.unlink()  # read at the start already, or never
        features = online_risk(settings).engine().assess(to_event(_payment(now))).features

    assert features["user_count_24h"] == 4.0


def test_a_passed_step_up_vouches_for_its_client_after_a_restart_too(tmp_path: Path) -> None:
    now = utcnow()
    settings = _settings(tmp_path).model_copy(
        update={"risk_rules": "challenge if is_login and not client_stepped_up"}
    )

    def login(ip: str, device: str = "device-a") -> RiskRequest:
        return RiskRequest(
            path=RiskPath.LOGIN,
            user_id=7,
            account_created_at=now - timedelta(days=300),
            at=now,
            device_id=device,
            ip=ip,
        )

    before = OnlineRisk(settings)
    challenged = before.assess(login("203.0.113.20"))
    before.record_step_up(login("203.0.113.20"))
    after = OnlineRisk(settings)  # restarted: the journal vouches for the client again

    assert challenged.decision is RiskDecision.CHALLENGE
    assert after.assess(login("203.0.113.20")).decision is RiskDecision.ALLOW
    assert after.assess(login("192.0.2.55")).decision is RiskDecision.CHALLENGE
    assert after.assess(login("203.0.113.20", "device-b")).decision is RiskDecision.CHALLENGE
