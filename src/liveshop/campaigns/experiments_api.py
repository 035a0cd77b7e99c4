"""Experiments: create, the caller's sticky variant, results, the sample-size calculator."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from sqlalchemy import select

from liveshop.accounts.dependencies import CurrentUser
from liveshop.campaigns import access, experiments, stats
from liveshop.campaigns.experiment_schemas import (
    AssignmentOut,
    ExperimentIn,
    ExperimentOut,
    ResultsOut,
    SampleSizeOut,
)
from liveshop.campaigns.models import Experiment
from liveshop.catalog.access import is_admin
from liveshop.core.db import separate_writing_unit
from liveshop.core.dependencies import DbSession, RowId
from liveshop.core.errors import InvalidInput

router = APIRouter(prefix="/api/experiments", tags=["experiments"])
MAX_LISTED = 200


@router.post("", status_code=status.HTTP_201_CREATED)
def create_experiment(body: ExperimentIn, user: CurrentUser, session: DbSession) -> ExperimentOut:
    return experiments.experiment_out(experiments.create_experiment(session, actor=user, body=body))


@router.get("")
def list_experiments(user: CurrentUser, session: DbSession) -> list[ExperimentOut]:
    query = select(Experiment).order_by(Experiment.id.desc()).limit(MAX_LISTED)
    if not is_admin(user):
        query = query.where(Experiment.shop_id == access.shop_to_run_campaigns(session, actor=user))
    return [experiments.experiment_out(found) for found in session.scalars(query)]


@router.get("/sample-size")
def sample_size(
    baseline: Annotated[float, Query(gt=0, lt=1, description="the control's conversion rate")],
    minimum_effect: Annotated[
        float, Query(gt=-1, lt=1, description="the smallest absolute change worth detecting")
    ],
    alpha: Annotated[float, Query(ge=1e-9, lt=0.5)] = 0.05,
    power: Annotated[float, Query(gt=0.5, le=1 - 1e-9)] = 0.8,
) -> SampleSizeOut:
    """Users per variant for a two-sided two-proportion test (no login needed: arithmetic)."""
    try:
        users = stats.sample_size_per_arm(
            baseline=baseline, minimum_effect=minimum_effect, alpha=alpha, power=power
        )
    except ValueError as error:
        raise InvalidInput(str(error), code="sample_size_undefined") from None
    return SampleSizeOut(
        baseline=baseline,
        minimum_effect=minimum_effect,
        alpha=alpha,
        power=power,
        users_per_variant=users,
    )


@router.get("/{experiment_id}/assignment")
def assignment(experiment_id: RowId, user: CurrentUser, session: DbSession) -> AssignmentOut:
    """The caller's variant, the same on every call; the first call logs the exposure."""
    experiment = experiments.get_experiment(session, experiment_id=experiment_id)
    access.require_participant(user)
    with separate_writing_unit(session) as writer:  # a GET that logs its exposure
        return experiments.assign(
            writer,
            experiment=experiments.get_experiment(writer, experiment_id=experiment.id),
            user=user,
        )


@router.get("/{experiment_id}/results")
def results(experiment_id: RowId, user: CurrentUser, session: DbSession) -> ResultsOut:
    return experiments.results(session, actor=user, experiment_id=experiment_id)
