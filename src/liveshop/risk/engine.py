"""``RiskEngine.assess``: features, the model's score, the rules, one decision.

The engine is the same object online (behind ``core.risk``) and in the offline
replay. One lock serialises the state's read-and-write of each assessment, so
two payments at once each count the other; the model and the rules run outside
it.
"""

from __future__ import annotations

import threading
import time
from importlib import resources

from liveshop.risk.events import Assessment, Decision, Outcome, RiskEvent
from liveshop.risk.features import observe, record_outcome
from liveshop.risk.model import BehaviourModel
from liveshop.risk.rules import RuleSet, parse_rules
from liveshop.risk.state import MemoryState, RiskState

NO_MODEL_THRESHOLD = 2.0  # without a model, no score reaches a threshold


def default_rules_text() -> str:
    return resources.files("liveshop.risk").joinpath("default_rules.txt").read_text("utf-8")


class RiskEngine:
    def __init__(
        self,
        *,
        state: RiskState | None = None,
        rules: RuleSet | None = None,
        model: BehaviourModel | None = None,
    ) -> None:
        self.state: RiskState = state if state is not None else MemoryState()
        self.rules = rules if rules is not None else parse_rules(default_rules_text())
        self.model = model
        self._lock = threading.Lock()

    def assess(self, event: RiskEvent) -> Assessment:
        started = time.perf_counter()
        with self._lock:
            features = self.state.batched(lambda state: observe(state, event))
        model = self.model
        if model is not None:
            model_score, anomaly = model.score(features)
            features["model_challenge_at"] = model.challenge_at
            features["model_block_at"] = model.block_at
        else:
            model_score = anomaly = 0.0
            features["model_challenge_at"] = features["model_block_at"] = NO_MODEL_THRESHOLD
        features["model_score"] = model_score
        features["anomaly_score"] = anomaly
        rules = self.rules
        fired = rules.fired(features)
        decision = Decision.ALLOW
        for rule in fired:
            if rule.action.severity > decision.severity:
                decision = rule.action
        reasons = [f"rule: {rule.text}" for rule in fired]
        if model is not None and decision is not Decision.ALLOW:
            reasons += [f"model: {text}" for text in model.explain(features)]
        return Assessment(
            decision=decision,
            score=model_score,
            reasons=tuple(reasons),
            features=features,
            rules_version=rules.version,
            model_version=model.version if model is not None else "",
            latency_ms=(time.perf_counter() - started) * 1000.0,
        )

    def record_outcome(self, event: RiskEvent, outcome: Outcome) -> None:
        with self._lock:
            record_outcome(self.state, event, outcome)
