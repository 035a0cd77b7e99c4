"""Experiments (A/B tests): sticky assignment, the exposure log, and results.

A user's variant is a deterministic hash of the experiment and the user, bucketed
by the variants' weights, so every worker gives the same answer with no lookup;
the first time it is asked, the exposure is logged (once: a unique row). A
conversion is a paid order placed after the exposure (of the experiment's shop,
when a shop owns it), learnt from OrderPaid. The first variant is the control.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.campaigns import access, experiment_mechanics, stats
from liveshop.campaigns.experiment_schemas import (
    AssignmentOut,
    ComparisonOut,
    ExperimentIn,
    ExperimentOut,
    ResultsOut,
    VariantResultOut,
)
from liveshop.campaigns.models import Conversion, Experiment, Exposure, Touch, VisitorExposure
from liveshop.core.clock import utcnow
from liveshop.core.errors import NotFound
from liveshop.core.experiments import ExperimentFacts

HASH_SPACE = 2**64


def create_experiment(session: Session, *, actor: User, body: ExperimentIn) -> Experiment:
    shop_id = access.shop_to_run_experiments(session, actor=actor)
    experiment = Experiment(
        shop_id=shop_id,
        name=body.name,
        variants=[variant.model_dump() for variant in body.variants],
        metric=body.metric,
        planned_users=body.planned_users_per_variant,
        created_by=actor.id,
    )
    session.add(experiment)
    session.flush()
    return experiment


def get_experiment(session: Session, *, experiment_id: int) -> Experiment:
    experiment = session.get(Experiment, experiment_id)
    if experiment is None:
        raise NotFound(f"experiment {experiment_id} not found", code="experiment_not_found")
    return experiment


def experiment_out(experiment: Experiment) -> ExperimentOut:
    return ExperimentOut(
        id=experiment.id,
        shop_id=experiment.shop_id,
        name=experiment.name,
        variants=experiment.variants,
        metric=experiment.metric,
        planned_users_per_variant=experiment.planned_users,
        created_at=experiment.created_at,
    )


def bucket_of(experiment_id: int, user_id: int) -> float:
    """A number in [0, 1) fixed by experiment and user (SHA-256: evenly spread)."""
    return _bucket(f"experiment:{experiment_id}:user:{user_id}")


def _bucket(subject: str) -> float:
    digest = hashlib.sha256(subject.encode()).digest()
    return int.from_bytes(digest[:8], "big") / HASH_SPACE


def variant_for(experiment: Experiment, user_id: int) -> str:
    return _variant_at(experiment, bucket_of(experiment.id, user_id))


def visitor_variant_for(experiment: Experiment, visitor: str) -> str:
    """A signed-out visitor's variant, fixed by their attribution cookie's visitor id."""
    return _variant_at(experiment, _bucket(f"experiment:{experiment.id}:visitor:{visitor}"))


def _variant_at(experiment: Experiment, point: float) -> str:
    total = sum(int(variant["weight"]) for variant in experiment.variants)
    running = 0
    for variant in experiment.variants:
        running += int(variant["weight"])
        if point < running / total:
            return str(variant["name"])
    return str(experiment.variants[-1]["name"])


def assign(session: Session, *, experiment: Experiment, user: User) -> AssignmentOut:
    """The user's variant; the first call logs the exposure (in ``session``, which the
    caller commits)."""
    access.require_participant(user)
    exposure = _expose(session, experiment=experiment, user_id=user.id)
    return AssignmentOut(
        experiment_id=experiment.id, variant=exposure.variant, exposed_at=exposure.at
    )


def _expose(session: Session, *, experiment: Experiment, user_id: int) -> Exposure:
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(
        module.insert(Exposure)
        .values(
            experiment_id=experiment.id,
            user_id=user_id,
            variant=variant_for(experiment, user_id),
            at=utcnow(),
        )
        .on_conflict_do_nothing()
    )
    return session.scalars(
        select(Exposure).where(Exposure.experiment_id == experiment.id, Exposure.user_id == user_id)
    ).one()


def expose_visitor(session: Session, *, experiment: Experiment, visitor: str) -> str:
    """A signed-out visitor's sticky variant; the first call logs their exposure."""
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(
        module.insert(VisitorExposure)
        .values(
            experiment_id=experiment.id,
            visitor=visitor,
            variant=visitor_variant_for(experiment, visitor),
            at=utcnow(),
        )
        .on_conflict_do_nothing()
    )
    return session.scalars(
        select(VisitorExposure.variant).where(
            VisitorExposure.experiment_id == experiment.id, VisitorExposure.visitor == visitor
        )
    ).one()


def has_exposures(session: Session, *, experiment_id: int) -> bool:
    """Whether anyone, signed in or not, was shown a variant yet."""
    for table in (Exposure, VisitorExposure):
        query = select(table.id).where(table.experiment_id == experiment_id).limit(1)
        if session.scalar(query) is not None:
            return True
    return False


def experiment_facts(session: Session, experiment_id: int) -> ExperimentFacts:
    """What a mechanic of a lower package may know (``core.experiments``)."""
    experiment = get_experiment(session, experiment_id=experiment_id)
    variants = tuple(str(variant["name"]) for variant in experiment.variants)
    return ExperimentFacts(
        id=experiment.id,
        shop_id=experiment.shop_id,
        variants=variants,
        has_exposures=has_exposures(session, experiment_id=experiment.id),
    )


def exposed_variant(session: Session, experiment_id: int, user_id: int) -> str:
    """A mechanic's viewer was shown it: their variant, the exposure logged once."""
    experiment = get_experiment(session, experiment_id=experiment_id)
    return _expose(session, experiment=experiment, user_id=user_id).variant


@dataclass
class Arm:
    name: str
    users: int = 0
    converted: int = 0
    gmv: list[int] | None = None


def _arms(session: Session, experiment: Experiment) -> list[Arm]:
    """Each person exposed counts once, in the variant they were first shown, with the
    orders they paid after it: a signed-in user by their exposure; a signed-out visitor
    (a link's landing test) as the user their cookie was later seen signed in as, unless
    that user is already counted."""
    arms = {str(v["name"]): Arm(str(v["name"]), gmv=[]) for v in experiment.variants}
    exposures = list(
        session.execute(
            select(Exposure.user_id, Exposure.variant).where(
                Exposure.experiment_id == experiment.id
            )
        ).tuples()
    )
    spent: dict[int, int] = defaultdict(int)
    query = select(Conversion.buyer_id, Conversion.total).join(
        Exposure,
        (Exposure.user_id == Conversion.buyer_id)
        & (Exposure.experiment_id == experiment.id)
        & (Conversion.paid_at > Exposure.at),
    )
    if experiment.shop_id is not None:
        query = query.where(Conversion.shop_id == experiment.shop_id)
    for buyer_id, total in session.execute(query).tuples():
        spent[buyer_id] += total
    people = [(variant, spent.get(user_id)) for user_id, variant in exposures]
    people += _visitors(session, experiment, counted={user_id for user_id, _ in exposures})
    for variant, paid in people:
        arm = arms.get(variant)
        if arm is None or arm.gmv is None:
            continue  # a variant renamed away: its users are not counted
        arm.users += 1
        arm.converted += 1 if paid is not None else 0
        arm.gmv.append(paid or 0)
    return list(arms.values())


def _visitors(
    session: Session, experiment: Experiment, *, counted: set[int]
) -> list[tuple[str, int | None]]:
    """Signed-out visitors' (variant, paid after exposure or None), once per person."""
    exposed = VisitorExposure.experiment_id == experiment.id
    visitors = session.execute(
        select(VisitorExposure.visitor, VisitorExposure.variant).where(exposed)
    ).tuples()
    linked = session.execute(
        select(VisitorExposure.visitor, func.min(Touch.user_id))
        .join(Touch, Touch.visitor == VisitorExposure.visitor)
        .where(exposed, Touch.user_id.is_not(None))
        .group_by(VisitorExposure.visitor)
    ).tuples()
    user_of = {visitor: user_id for visitor, user_id in linked}
    paid_query = (
        select(VisitorExposure.visitor, Conversion.buyer_id, Conversion.order_id, Conversion.total)
        .join(Touch, Touch.visitor == VisitorExposure.visitor)
        .join(
            Conversion,
            (Conversion.buyer_id == Touch.user_id) & (Conversion.paid_at > VisitorExposure.at),
        )
        .where(exposed)
        .distinct()
    )
    if experiment.shop_id is not None:
        paid_query = paid_query.where(Conversion.shop_id == experiment.shop_id)
    paid: dict[str, int] = defaultdict(int)
    for visitor, buyer_id, _order_id, total in session.execute(paid_query).tuples():
        if buyer_id == user_of.get(visitor):  # one person per visitor, as counted below
            paid[visitor] += total
    people: list[tuple[str, int | None]] = []
    for visitor, variant in visitors:
        user_id = user_of.get(visitor)
        if user_id is not None:
            if user_id in counted:
                continue  # already counted as that user
            counted.add(user_id)
        people.append((variant, paid.get(visitor)))
    return people


def results(session: Session, *, actor: User, experiment_id: int) -> ResultsOut:
    experiment = get_experiment(session, experiment_id=experiment_id)
    access.require_experiment_reader(session, actor=actor, experiment=experiment)
    arms = _arms(session, experiment)
    control = arms[0]
    variants = [_variant_result(arm, control) for arm in arms]
    headline = variants[1].comparison if len(variants) > 1 else None  # the first treatment
    planned = experiment.planned_users
    reached = planned is not None and all(arm.users >= planned for arm in arms)
    return ResultsOut(
        experiment_id=experiment.id,
        name=experiment.name,
        metric=experiment.metric,
        control=control.name,
        variants=variants,
        p_value=headline.p_value if headline else None,
        always_valid_p_value=headline.always_valid_p_value if headline else None,
        planned_users_per_variant=planned,
        horizon_reached=reached,
        guidance=_guidance(planned, reached),
        exposed=any(arm.users for arm in arms),
        mechanics=experiment_mechanics.mechanics_of(session, experiment_id=experiment.id),
    )


def _guidance(planned: int | None, reached: bool) -> str:
    if planned is None:
        return (
            "No sample size was planned: stop only on the always-valid p-value; the plain "
            "p-value holds at a fixed sample size chosen in advance."
        )
    if reached:
        return "The planned sample is reached: the plain p-value is the test's answer."
    return (
        f"Planned {planned} users per variant and not reached yet: do not stop on the plain "
        "p-value (peeking inflates false positives); the always-valid p-value may be read now."
    )


def _variant_result(arm: Arm, control: Arm) -> VariantResultOut:
    interval = stats.wilson(arm.converted, arm.users)
    gmv = arm.gmv or []
    comparison = None
    if arm is not control:
        difference = stats.bootstrap_difference_of_means(control.gmv or [], gmv)
        comparison = ComparisonOut(
            versus=control.name,
            rate_difference=(
                round(arm.converted / arm.users - control.converted / control.users, 6)
                if arm.users and control.users
                else None
            ),
            p_value=stats.two_proportion_p_value(
                control.converted, control.users, arm.converted, arm.users
            ),
            always_valid_p_value=stats.msprt_p_value(
                control.converted, control.users, arm.converted, arm.users
            ),
            gmv_per_viewer_difference=round(difference.estimate, 2) if difference else None,
            gmv_per_viewer_ci_low=round(difference.low, 2) if difference else None,
            gmv_per_viewer_ci_high=round(difference.high, 2) if difference else None,
        )
    return VariantResultOut(
        name=arm.name,
        users=arm.users,
        conversions=arm.converted,
        rate=round(arm.converted / arm.users, 6) if arm.users else None,
        ci_low=round(interval[0], 6) if interval else None,
        ci_high=round(interval[1], 6) if interval else None,
        gmv=sum(gmv),
        gmv_per_viewer=round(sum(gmv) / arm.users, 2) if arm.users else None,
        comparison=comparison,
    )
