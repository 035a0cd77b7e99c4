"""Training from a labelled stream and measuring the engine on one."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import numpy as np

from liveshop.risk.engine import RiskEngine
from liveshop.risk.events import Assessment, Decision
from liveshop.risk.model import BehaviourModel, train_model
from liveshop.risk.replay import LEGIT, Progress, StreamRow, Timing, feature_matrix, replay


def train_from_rows(rows: list[StreamRow], progress: Progress | None = None) -> BehaviourModel:
    """The behaviour model of a stream; rows without a label count as legit."""
    matrix = feature_matrix(rows, progress)
    labels = np.array([(row.label or LEGIT) != LEGIT for row in rows], dtype=bool)
    groups = [row.event.user_id for row in rows]
    return train_model(matrix, labels, groups)


def score_rows(
    engine: RiskEngine, rows: list[StreamRow], progress: Progress | None = None
) -> list[tuple[StreamRow, Assessment, Timing]]:
    return list(replay(engine, rows, progress))


def evaluate_decisions(scored: list[tuple[StreamRow, Assessment, Timing]]) -> dict[str, Any]:
    """Per pattern and overall: recall (abuse rows not allowed), precision, the legit
    false-positive rate, the share challenged, decision latency p50/p99 (ms)."""
    totals: Counter[str] = Counter()
    stopped: Counter[str] = Counter()
    decided: dict[str, Counter[str]] = defaultdict(Counter)
    latencies = np.array([timing.wall_ms for _, _, timing in scored]) if scored else np.zeros(1)
    cpu = np.array([timing.cpu_ms for _, _, timing in scored]) if scored else np.zeros(1)
    for row, assessment, _ in scored:
        label = row.label or LEGIT
        totals[label] += 1
        decided[label][assessment.decision.value] += 1
        if assessment.decision is not Decision.ALLOW:
            stopped[label] += 1
    abuse_total = sum(count for label, count in totals.items() if label != LEGIT)
    abuse_stopped = sum(count for label, count in stopped.items() if label != LEGIT)
    all_stopped = sum(stopped.values())
    challenged = sum(counts[Decision.CHALLENGE.value] for counts in decided.values())
    patterns = {
        label: {
            "rows": totals[label],
            "recall": _share(stopped[label], totals[label]),
            "share_challenged": _share(decided[label][Decision.CHALLENGE.value], totals[label]),
            "decisions": dict(decided[label]),
        }
        for label in sorted(totals)
        if label != LEGIT
    }
    return {
        "rows": len(scored),
        "overall": {
            "recall": _share(abuse_stopped, abuse_total),
            "precision": _share(abuse_stopped, all_stopped),
            "false_positive_rate": _share(stopped[LEGIT], totals[LEGIT]),
            "share_challenged": _share(challenged, len(scored)),
            "legit_rows": totals[LEGIT],
            "abuse_rows": abuse_total,
            "legit_decisions": dict(decided[LEGIT]),
        },
        "patterns": patterns,
        "latency_ms": {
            "p50": round(float(np.percentile(latencies, 50)), 4),
            "p99": round(float(np.percentile(latencies, 99)), 4),
            "max": round(float(latencies.max()), 4),
            "cpu_p50": round(float(np.percentile(cpu, 50)), 4),
            "cpu_p99": round(float(np.percentile(cpu, 99)), 4),
        },
    }


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0
