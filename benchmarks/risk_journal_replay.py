"""How long the app's start-up spends rebuilding the risk engine's in-process state
from a full day's journal (``journal.replay_recent``, which ``wiring.start_risk_engine``
runs in the lifespan). The day is a simulated stream (``liveshop risk simulate``) moved
into the last 24 hours and journalled as the engine journals online: one line per
assessment and one per reported outcome. Prints one JSON object.

    .venv/bin/python benchmarks/risk_journal_replay.py [--users 20000] [--seed 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from liveshop.risk import journal
from liveshop.risk.events import EventKind, Outcome
from liveshop.risk.replay import read_stream
from liveshop.risk.simulate import write_simulation
from liveshop.risk.simulation import SimulationParams
from liveshop.risk.state import MemoryState


def _write_day(home: Path, stream: Path, now: float) -> int:
    """The stream's rows as journal lines, moved to end a second before ``now`` (a
    day's stream: every line inside the window replayed). Answers the lines written."""
    rows = read_stream(stream)
    shift = now - 1 - rows[-1].event.ts
    lines = 0
    for row in rows:
        event = dataclasses.replace(row.event, ts=row.event.ts + shift)
        journal.write_assessment(home, reference=f"{lines:016x}", event=event, decision="allow")
        lines += 1
        # payments report how they went; the other paths report their failures
        if row.event.kind is EventKind.PAYMENT or row.outcome is Outcome.FAIL:
            journal.write_outcome(home, event=event, outcome=row.outcome)
            lines += 1
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        stream = home / "day.csv"
        events = write_simulation(
            SimulationParams(seed=args.seed, days=1, users=args.users, merchants=args.users // 60),
            stream,
        )
        now = datetime.now(UTC)
        written = _write_day(home, stream, now.timestamp())
        size = sum(path.stat().st_size for path in journal.journal_dir(home).iterdir())
        started, cpu_started = time.perf_counter(), time.process_time()
        replayed = journal.replay_recent(home, MemoryState(), now=now)
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
    print(
        json.dumps(
            {
                "simulated_users": args.users,
                "events": events,
                "journal_lines": written,
                "journal_mb": round(size / 1e6, 1),
                "replayed_lines": replayed,
                "replay_seconds": round(seconds, 2),
                "replay_cpu_seconds": round(cpu, 2),
                "lines_per_second": round(replayed / seconds) if seconds else None,
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            }
        )
    )


if __name__ == "__main__":
    main()
