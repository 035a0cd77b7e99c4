"""The engine behind ``core.risk``: what the guarded paths reach in production.

One engine per process (its state in memory, or in Redis when
``LIVESHOP_REDIS_URL`` is set so every worker counts the same attempts), the
current model version from ``LIVESHOP_HOME`` and the live rule version from
the database, re-read every ``RULES_REFRESH_SECONDS``. A held or blocked
request opens a review case in the path's own transaction.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable

from sqlalchemy.orm import Session

from liveshop.core.bus import call_before_commit
from liveshop.core.db import unit_of_work
from liveshop.core.risk import RiskDecision, RiskRequest, RiskVerdict
from liveshop.core.settings import Settings
from liveshop.risk import journal
from liveshop.risk.engine import RiskEngine
from liveshop.risk.events import Assessment, Decision, EventKind, Outcome, RiskEvent
from liveshop.risk.rule_store import current_rules
from liveshop.risk.rules import parse_rules
from liveshop.risk.state import MemoryState, RiskState

log = logging.getLogger(__name__)

RULES_REFRESH_SECONDS = 10.0  # an operator's new rule version is live within this long
PUBLIC_REASONS = {
    Decision.ALLOW: "",
    Decision.CHALLENGE: "risk: please confirm it is you",
    Decision.REVIEW: "risk: held for a review",
    Decision.BLOCK: "risk: declined",
}  # buyers and merchants see these, never the rules or the features


def to_event(request: RiskRequest) -> RiskEvent:
    return RiskEvent(
        ts=request.at.timestamp(),
        kind=EventKind(request.path.value),
        user_id=str(request.user_id),
        account_created_at=request.account_created_at.timestamp(),
        device_id=request.device_id,
        ip=request.ip,
        card_fp=request.card_fp,
        amount=request.amount,
        merchant_id="" if request.merchant_id is None else str(request.merchant_id),
        room_id="" if request.room_id is None else str(request.room_id),
        ip_region=request.ip_region,
        billing_region=request.billing_region,
        shipping_region=request.shipping_region,
        address_id=request.address_id,
    )


def _state(settings: Settings) -> RiskState:
    """Redis keeps its counts across restarts; an in-process state starts from the
    journal's last day (the longest window), so a restart does not reset them."""
    if settings.redis_url:
        from liveshop.risk.redis_state import RedisState

        return RedisState.from_url(settings.redis_url)
    state = MemoryState()
    started = time.perf_counter()
    lines = journal.replay_recent(settings.home, state)
    log.info(
        "risk state rebuilt from %d journal lines in %.2f s", lines, time.perf_counter() - started
    )
    return state


class OnlineRisk:
    def __init__(self, settings: Settings, *, state: RiskState | None = None) -> None:
        self.settings = settings
        self._state = state
        self._engine: RiskEngine | None = None
        self._rules_read_at = 0.0
        self._lock = threading.Lock()

    def start(self) -> None:
        """Build the engine now: the current model loaded and an in-process state
        rebuilt from the journal. The app's start-up calls this, so the first request
        is not assessed on a state still empty (one that comes meanwhile waits for it)."""
        with self._lock:
            self._built()

    @property
    def started(self) -> bool:
        """The engine is built: its model loaded, its state rebuilt from the journal."""
        return self._engine is not None

    def _built(self) -> RiskEngine:
        if self._engine is None:
            from liveshop.risk.model import current_model

            self._engine = RiskEngine(
                state=self._state or _state(self.settings), model=current_model(self.settings.home)
            )
        return self._engine

    def engine(self, session: Session | None = None) -> RiskEngine:
        """The engine, its rules re-read when due (through ``session`` if given: the
        path's own database)."""
        with self._lock:
            self._engine = self._built()
            if self.settings.risk_rules is not None:
                if not self._rules_read_at:
                    self._engine.rules = parse_rules(self.settings.risk_rules)
                    self._rules_read_at = time.monotonic()
            elif time.monotonic() - self._rules_read_at > RULES_REFRESH_SECONDS:
                if session is not None:
                    self._engine.rules = current_rules(session)
                else:
                    url = self.settings.resolved_database_url()
                    with unit_of_work(url, writes=False) as reader:
                        self._engine.rules = current_rules(reader)
                self._rules_read_at = time.monotonic()
            return self._engine

    def assess(self, request: RiskRequest, *, session: Session | None = None) -> RiskVerdict:
        event = to_event(request)
        assessment = self.engine(session).assess(event)
        reference = secrets.token_hex(8)
        journal.write_assessment(
            self.settings.home, reference=reference, event=event, decision=assessment.decision.value
        )
        if session is not None and assessment.decision in (Decision.REVIEW, Decision.BLOCK):
            call_before_commit(session, _case_writer(request, event, assessment, reference))
        return RiskVerdict(
            decision=RiskDecision(assessment.decision.value),
            public_reason=PUBLIC_REASONS[assessment.decision],
            reference=reference,
        )

    def record_outcome(self, request: RiskRequest, *, succeeded: bool) -> None:
        self._record(request, Outcome.OK if succeeded else Outcome.FAIL)

    def record_step_up(self, request: RiskRequest) -> None:
        self._record(request, Outcome.STEPPED_UP)

    def _record(self, request: RiskRequest, outcome: Outcome) -> None:
        event = to_event(request)
        with self._lock:
            engine = self._built()  # outcomes need no rules: no database read
        engine.record_outcome(event, outcome)
        journal.write_outcome(self.settings.home, event=event, outcome=outcome)


def _case_writer(
    request: RiskRequest, event: RiskEvent, assessment: Assessment, reference: str
) -> Callable[[Session], None]:
    def write(session: Session) -> None:
        from liveshop.risk.cases import open_case

        open_case(session, request=request, event=event, assessment=assessment, reference=reference)

    return write


_online: dict[tuple[str, str, str], OnlineRisk] = {}


def online_risk(settings: Settings) -> OnlineRisk:
    """One engine per home, database and Redis: connecting again keeps its state."""
    key = (str(settings.home), settings.resolved_database_url(), settings.redis_url or "")
    if key not in _online:
        _online[key] = OnlineRisk(settings)
    return _online[key]
