"""Erasing a viewer (privacy's erasure, through the erasers wiring registers) takes
them out of every kept model version, so neither the served model nor a rollback
brings them back; everyone else's rows stay as they were. A training that read
their events before the erasure publishes its version without them."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sqlalchemy.orm import Session

from liveshop.accounts.models import Role, User
from liveshop.core.db import unit_of_work
from liveshop.core.settings import Settings
from liveshop.events.recorder import pseudonymous_id
from liveshop.live import service as live
from liveshop.privacy.erasure import erase_subject
from liveshop.recommend import model_store, serving, training
from liveshop.recommend.jobs import train_once
from liveshop.recommend.service import recommend_products
from tests.conftest import MakeAccount
from tests.recommend.helpers import events
from tests.recommend.test_serving import Shopfront, engine_for


@pytest.fixture
def shopfront(database_url: str, settings: Settings, make_account: MakeAccount) -> Shopfront:
    return Shopfront(database_url, settings, make_account)


def _room_watched_by(
    database_url: str, settings: Settings, make_account: MakeAccount, viewer: int
) -> None:
    host = make_account(Role.HOST, "watched_host")
    with unit_of_work(database_url) as work:
        room = live.create_room(work, host=work.get_one(User, host.id), title="tea tasting")
        work.flush()
        room_id = room.id
    events(settings, [(viewer, "join", {"room_id": room_id})])


def test_an_erased_viewer_leaves_every_kept_version(
    shopfront: Shopfront,
    database_url: str,
    settings: Settings,
    make_account: MakeAccount,
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(serving, "RELOAD_CHECK_SECONDS", 0.0)
    reader = shopfront.reader.id
    key = pseudonymous_id(reader, settings.resolved_secret_key())
    _room_watched_by(database_url, settings, make_account, reader)
    assert [train_once(settings), train_once(settings)] == ["v0001", "v0002"]
    before = {v: model_store.load(settings.home, v) for v in ("v0001", "v0002")}
    for model in before.values():
        assert key in model.user_ids
        assert key in model.host_affinity
    engine = engine_for(settings)
    served = recommend_products(
        session, engine=engine, viewer=session.get_one(User, reader), context="home", limit=10
    )
    assert "buy_again" in {item.reason_kind for item in served.items}
    assert key in engine.models.served().users
    session.rollback()  # end the read so SQLite lets the erasure write

    with unit_of_work(database_url) as work:
        erased = erase_subject(work, user_id=reader, settings=settings, actor="admin:test")
    assert erased.erased["recommendations"] == {"model_versions": 2, "session_actions": 0}

    for version, old in before.items():
        new = model_store.load(settings.home, version)
        assert key not in new.user_ids
        assert key not in new.host_affinity
        row = old.user_ids.index(key)
        assert new.user_ids[row] == ""  # the row keeps its place, empty
        assert (new.candidates[row] == -1).all()
        assert (new.candidate_scores[row] == 0).all()
        assert (new.candidate_anchors[row] == -1).all()
        others = [i for i in range(len(old.user_ids)) if i != row]
        assert new.user_ids == [u if u != key else "" for u in old.user_ids]
        assert np.array_equal(new.candidates[others], old.candidates[others])
        assert np.array_equal(new.candidate_scores[others], old.candidate_scores[others])
        assert np.array_equal(new.neighbours, old.neighbours)
        assert new.host_affinity == {u: h for u, h in old.host_affinity.items() if u != key}
    assert key not in engine.models.served().users  # reloaded: the facts changed
    assert model_store.rollback(settings.home) == "v0001"  # no way back for them
    reloaded = engine.models.served()
    assert reloaded.version == "v0001"
    assert key not in reloaded.users
    # Erasing again finds nothing left.
    assert model_store.erase_viewer(settings.home, key) == 0


def test_a_version_in_the_packed_layout_is_erased_too(
    shopfront: Shopfront, settings: Settings
) -> None:
    """Versions written before one file per array (``arrays.npz``) are served and
    erased alike."""
    version = train_once(settings)
    directory = settings.home / "recommend" / version
    arrays = {name: np.load(directory / f"{name}.npy") for name in model_store.ModelArtifact.ARRAYS}
    np.savez(directory / "arrays.npz", **arrays)
    for name in arrays:
        (directory / f"{name}.npy").unlink()
    key = pseudonymous_id(shopfront.reader.id, settings.resolved_secret_key())
    row = model_store.load(settings.home, version).user_ids.index(key)

    assert model_store.erase_viewer(settings.home, key) == 1
    erased = model_store.load(settings.home, version)
    assert not (directory / "arrays.npz").exists()
    assert erased.user_ids[row] == ""
    assert (erased.candidates[row] == -1).all()
    assert np.array_equal(erased.product_ids, arrays["product_ids"])


def test_a_viewer_erased_while_a_training_runs_is_not_in_the_version_it_writes(
    shopfront: Shopfront,
    database_url: str,
    settings: Settings,
    make_account: MakeAccount,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The training has read the events and consents when the erasure comes; the
    version it publishes after must not hold the viewer (nor may the one before)."""
    reader = shopfront.reader.id
    key = pseudonymous_id(reader, settings.resolved_secret_key())
    _room_watched_by(database_url, settings, make_account, reader)
    assert train_once(settings) == "v0001"
    build = training.build_artifact
    erasures: list[dict[str, int]] = []

    def build_then_erase(**given: Any) -> model_store.ModelArtifact:
        artifact = build(**given)
        assert key in artifact.user_ids  # read before the erasure
        with unit_of_work(database_url) as work:
            erased = erase_subject(work, user_id=reader, settings=settings, actor="admin:test")
        erasures.append(erased.erased["recommendations"])
        return artifact

    monkeypatch.setattr(training, "build_artifact", build_then_erase)
    assert train_once(settings) == "v0002"
    assert erasures == [{"model_versions": 1, "session_actions": 0}]
    for version in ("v0001", "v0002"):
        model = model_store.load(settings.home, version)
        assert key not in model.user_ids
        assert key not in model.host_affinity
        assert "" in model.user_ids  # the row is kept, blank
        row = model.user_ids.index("")
        assert (model.candidates[row] == -1).all()
        assert (model.candidate_scores[row] == 0).all()
    assert model_store.erase_viewer(settings.home, key) == 0  # nothing left anywhere
    assert list((settings.home / "recommend" / model_store.TRAININGS).iterdir()) == []
