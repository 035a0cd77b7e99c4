"""What a rule text would have done: the same events through the live rules and
through the candidate, side by side (same model, same features)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from liveshop.risk.engine import RiskEngine
from liveshop.risk.events import Outcome, RiskEvent
from liveshop.risk.model import BehaviourModel
from liveshop.risk.rules import RuleSet

EXAMPLES = 10


def dry_run(
    events: Iterable[tuple[RiskEvent, Outcome | None]],
    *,
    live: RuleSet,
    candidate: RuleSet,
    model: BehaviourModel | None,
) -> dict[str, Any]:
    """Decisions per rule set, the moves between them (``allow->block``: 12) and
    the rules of the candidate that fired, with counts."""
    engine = RiskEngine(model=model, rules=live)
    before: Counter[str] = Counter()
    after: Counter[str] = Counter()
    moves: Counter[str] = Counter()
    fired: Counter[str] = Counter()
    examples: list[dict[str, Any]] = []
    assessed = 0
    for event, outcome in events:
        if outcome is not None:
            engine.record_outcome(event, outcome)
            continue
        assessed += 1
        assessment = engine.assess(event)
        new_rules = candidate.fired(assessment.features)
        new_decision = max(
            (rule.action for rule in new_rules), key=lambda item: item.severity, default=None
        )
        old, new = assessment.decision.value, new_decision.value if new_decision else "allow"
        before[old] += 1
        after[new] += 1
        fired.update(rule.text for rule in new_rules)
        if old != new:
            moves[f"{old}->{new}"] += 1
            if len(examples) < EXAMPLES:
                examples.append(
                    {
                        "ts": event.ts,
                        "kind": event.kind.value,
                        "user_id": event.user_id,
                        "from": old,
                        "to": new,
                    }
                )
    return {
        "events": assessed,
        "live_version": live.version,
        "live": dict(before),
        "candidate": dict(after),
        "changes": dict(moves),
        "candidate_rules_fired": dict(fired.most_common()),
        "examples": examples,
    }
