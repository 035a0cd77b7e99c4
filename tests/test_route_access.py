"""Who may do what to which object, for every route that takes an id.

``tests/access/routes.py`` holds one table: for each route (METHOD, path) whose path
or body names an object (the OpenAPI schema's routes, and the pages, the sandbox
wallet and the room's WebSocket it leaves out) the kind of object its ids name and
the answer each caller gets. SQLite only: access is decided in Python, not by the
database, and the walk's ~900 calls stay fast. The walk makes fresh
objects for every cell, calls the route through the app as that caller (anonymous,
each of the object's parties, and a stranger of each role, the viewer, host and
merchant strangers being the owners' peers with objects of their own), and checks
the answer against the table: allowed (a 2xx, or a 409 or 422 about the input),
or refused with the exact status, having written nothing. No call may answer 5xx.

A route with an id and no row fails ``test_every_route_that_takes_an_id_has_a_row``.
Cells of known holes another package is fixing are expected to fail (strict xfail,
listed in ``tests/access/known_holes.py``): when the fix lands they pass, and the
strict mark fails until the entry is removed.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from liveshop.app import create_app
from liveshop.core.settings import Settings
from liveshop.governance.config import get_moderation_settings
from tests.access.known_holes import KNOWN_HOLES
from tests.access.routes import NOT_ACCESS_CONTROLLED, ROUTES
from tests.access.rules import FORBIDDEN
from tests.access.schema import routes_with_ids
from tests.access.walk import Walker
from tests.access.world import WALK_MODERATION, World
from tests.conftest import SECRET_KEY, forget_engine

QUIET_SECONDS = 3600.0  # background jobs and counter flushes stay out of the walk's way


def _cells() -> list[object]:
    cells: list[object] = []
    for (method, path), access in ROUTES.items():
        for caller in access.callers():
            reason = KNOWN_HOLES.get((method, path, caller))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            cells.append(
                pytest.param(method, path, caller, id=f"{method} {path} as {caller}", marks=marks)
            )
    return cells


@pytest.fixture(scope="module")
def walker(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Walker]:
    home = tmp_path_factory.mktemp("access-walk")
    database = home / "liveshop.db"
    shutil.copy(sqlite_template, database)
    settings = Settings(
        home=home,
        database_url=f"sqlite:///{database}",
        redis_url=None,
        secret_key=SECRET_KEY,
        environment="development",
        counters_flush_seconds=QUIET_SECONDS,
        order_expiry_check_seconds=QUIET_SECONDS,
        risk_rules="",  # the walk pays many orders in a minute: no velocity rule
    )
    app = create_app(settings)
    app.dependency_overrides[get_moderation_settings] = lambda: WALK_MODERATION
    with TestClient(app) as client:
        walk = Walker(client, World(settings), database)
        yield walk
        walk.close()
    forget_engine(settings.resolved_database_url())


def test_every_route_that_takes_an_id_has_a_row() -> None:
    app = create_app(Settings(secret_key=SECRET_KEY, redis_url=None))
    with_ids = routes_with_ids(app)
    missing = sorted(set(with_ids) - set(ROUTES) - NOT_ACCESS_CONTROLLED)
    assert missing == [], (
        "routes that take an id but have no row in tests/access/routes.py: "
        + "; ".join(
            f"{method} {path} (ids: {', '.join(with_ids[method, path])})"
            for method, path in missing
        )
    )
    stale = sorted(set(ROUTES) - set(with_ids))
    assert stale == [], f"rows for routes the app does not have (or that take no id): {stale}"


def test_every_known_hole_names_a_cell_of_the_table() -> None:
    cells = {
        (method, path, caller) for (method, path), a in ROUTES.items() for caller in a.callers()
    }
    assert sorted(set(KNOWN_HOLES) - cells) == []


@pytest.mark.parametrize(("method", "path", "caller"), _cells())
def test_the_caller_gets_the_answer_of_the_table(
    walker: Walker, method: str, path: str, caller: str
) -> None:
    access = ROUTES[method, path]
    expected = access.expected(caller)
    made = access.subject.make(walker.world)
    account = walker.account(made, caller)
    answer, wrote = walker.watch(lambda: walker.call(method, path, access, made, account), expected)
    where = f"{method} {path} on a fresh {access.subject.kind} as {caller}"
    assert answer.status < 500, f"{where}: {answer.status} {answer.text}"
    assert expected.matches(answer.status), (
        f"{where}: expected {expected}, got {answer.status} {answer.text}"
    )
    if not expected.allows:
        assert not wrote, f"{where}: refused with {answer.status}, yet it wrote to the database"


def test_the_walk_notices_a_call_that_writes(walker: Walker) -> None:
    """The guard of every refusal above: a committed write is seen."""
    method, path = "POST", "/api/shops/{shop_id}/follow"
    access = ROUTES[method, path]
    made = access.subject.make(walker.world)
    follower = walker.world.new_user()

    answer, wrote = walker.watch(
        lambda: walker.call(method, path, access, made, follower), FORBIDDEN
    )

    assert (answer.status, wrote) == (204, True)
