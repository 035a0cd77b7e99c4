"""A training before anything is listed (a fresh install, the app's first scheduled
training) publishes an empty model instead of failing, and serving answers from it."""

from __future__ import annotations

from sqlalchemy.orm import Session

from liveshop.core.settings import Settings
from liveshop.recommend.jobs import train_once
from liveshop.recommend.service import recommend_products
from tests.recommend.test_serving import engine_for


def test_a_training_on_an_empty_catalogue_publishes_an_empty_model(
    settings: Settings, session: Session
) -> None:
    assert train_once(settings) == "v0001"
    answer = recommend_products(
        session, engine=engine_for(settings), viewer=None, context="home", limit=10
    )
    assert answer.model_version == "v0001"
    assert answer.items == []
