"""What packages below ``campaigns`` may know of an experiment, without importing it.

An experiment (an A/B test) belongs to ``campaigns``; the mechanics it varies
(a room coupon's depth, ...) belong to lower packages. ``liveshop.wiring``
registers campaigns' lookup and assigner when the app, the CLI or the demo starts;
a mechanic asks here for the experiment's owner and variants, and for a viewer's
sticky variant at the moment the viewer is shown the mechanic (which logs the
exposure).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from liveshop.core.errors import Conflict, NotFound


@dataclass(frozen=True)
class ExperimentFacts:
    id: int
    shop_id: int | None  # None: a platform experiment
    variants: tuple[str, ...]  # the first is the control
    has_exposures: bool  # a viewer was shown a variant: what they saw may no longer change


# (session, experiment id) -> its facts; raises NotFound for an unknown experiment.
ExperimentLookup = Callable[[Session, int], ExperimentFacts]
# (session, experiment id, user id) -> the user's variant, the exposure logged once.
VariantAssigner = Callable[[Session, int, int], str]
_lookup: list[ExperimentLookup] = []
_assigner: list[VariantAssigner] = []


def register_experiment_source(lookup: ExperimentLookup, assigner: VariantAssigner) -> None:
    _lookup[:] = [lookup]
    _assigner[:] = [assigner]


def registered_experiment_source() -> tuple[ExperimentLookup, VariantAssigner] | None:
    return (_lookup[0], _assigner[0]) if _lookup and _assigner else None


def experiment_facts(session: Session, experiment_id: int) -> ExperimentFacts:
    if not _lookup:
        raise RuntimeError("liveshop.wiring.connect_domains() was not called: no experiments")
    return _lookup[0](session, experiment_id)


def exposed_variant(session: Session, *, experiment_id: int, user_id: int) -> str:
    """The user's sticky variant; the first call logs the exposure (in ``session``)."""
    if not _assigner:
        raise RuntimeError("liveshop.wiring.connect_domains() was not called: no experiments")
    return _assigner[0](session, experiment_id, user_id)


def shop_experiment(
    session: Session, experiment_id: int, *, shop_id: int | None
) -> ExperimentFacts:
    """The experiment a mechanic of ``shop_id`` may attach: another shop's (or a platform
    one) answers 404 ``experiment_not_found`` as if it did not exist."""
    try:
        facts = experiment_facts(session, experiment_id)
    except NotFound:
        facts = None
    if facts is None or shop_id is None or facts.shop_id != shop_id:
        raise NotFound(f"experiment {experiment_id} not found", code="experiment_not_found")
    return facts


def require_unexposed(session: Session, experiment_id: int | None, *, why: str) -> None:
    """409 ``experiment_exposed`` (with ``why``) once a viewer was shown a variant of the
    attached experiment: what they saw may no longer change."""
    if experiment_id is not None and experiment_facts(session, experiment_id).has_exposures:
        raise Conflict(why, code="experiment_exposed")
