"""The operators' rules, versioned in the database: who saved which text when."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from liveshop.risk.engine import default_rules_text
from liveshop.risk.models import RuleVersion
from liveshop.risk.rules import RuleSet, parse_rules


def save_rules(session: Session, *, source: str, author: str, comment: str = "") -> RuleVersion:
    """Parse ``source`` (RuleError if any rule is bad, nothing saved) and store it
    as the next version, which is live from then on."""
    parse_rules(source)
    latest = session.scalar(select(func.max(RuleVersion.version))) or 0
    saved = RuleVersion(version=latest + 1, source=source, author=author, comment=comment)
    session.add(saved)
    session.flush()
    return saved


def current_rules(session: Session) -> RuleSet:
    """The latest saved version, or the shipped rules (version 0) if none was saved."""
    latest = session.scalar(select(RuleVersion).order_by(RuleVersion.version.desc()).limit(1))
    if latest is None:
        return parse_rules(default_rules_text(), version=0)
    return parse_rules(latest.source, version=latest.version)


def rule_history(session: Session, *, limit: int = 50) -> list[RuleVersion]:
    return list(
        session.scalars(select(RuleVersion).order_by(RuleVersion.version.desc()).limit(limit))
    )
