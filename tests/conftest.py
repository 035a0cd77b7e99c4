"""Shared fixtures: a migrated database (SQLite, and PostgreSQL where asked), settings,
an app, users with tokens.

PostgreSQL and Redis tests run for real. In CI (``CI`` set) they must never skip;
locally they skip only when the service cannot be reached.
"""

from __future__ import annotations

import os
import shutil
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from psycopg.errors import DeadlockDetected
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from liveshop.accounts import service as accounts
from liveshop.accounts.models import Role, User
from liveshop.app import create_app
from liveshop.core.db import get_engine, get_session_factory, unit_of_work
from liveshop.core.migrations import upgrade_database
from liveshop.core.settings import Settings, get_settings
from liveshop.promotions.flash_sales import forget_cached_sales
from liveshop.wiring import connect_domains

POSTGRES_URL = os.environ.get(
    "LIVESHOP_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("LIVESHOP_TEST_REDIS_URL", "redis://127.0.0.1:6379")
SECRET_KEY = "test-secret-key-0123456789"
PASSWORD = "correct horse battery"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def _reachable(url: str, default_port: int) -> bool:
    parts = urlsplit(url.replace("+psycopg", ""))
    try:
        with socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or default_port), 2
        ):
            return True
    except OSError:
        return False


def require_service(name: str, url: str, default_port: int) -> None:
    """Skip locally when the service is down; in CI, fail instead of skipping."""
    if _reachable(url, default_port):
        return
    if in_ci():
        pytest.fail(f"{name} at {url} is unreachable, and CI must not skip {name} tests")
    pytest.skip(f"{name} at {url} is unreachable (set CI=true to make this a failure)")


def forget_engine(url: str) -> None:
    """Dispose the cached engine for ``url`` (core.db caches one per URL)."""
    get_engine(url).dispose()
    get_engine.cache_clear()
    get_session_factory.cache_clear()


@pytest.fixture(scope="session", autouse=True)
def connected_domains() -> None:
    """The domains connected as the app, the CLI and the demo connect them
    (``liveshop.wiring``), for tests that call services without making an app.
    tests/test_wiring.py checks, in a process of its own, that the app does it.
    Connecting reads the settings; the cache is cleared after, so a test that sets
    LIVESHOP_HOME or another variable gets its own, not the default home's."""
    connect_domains()
    get_settings.cache_clear()


@pytest.fixture(autouse=True)
def fresh_risk_engine(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Each test starts with an empty risk state: the engine counts per user id, and
    ids repeat across the tests' databases. An app a test makes registers its own."""
    from liveshop.core.risk import register_risk_assessor
    from liveshop.risk.online import OnlineRisk

    home = tmp_path_factory.mktemp("risk-home")
    register_risk_assessor(OnlineRisk(Settings(home=home, redis_url=None)))


# --- databases ---


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating once is much faster)."""
    path = tmp_path_factory.mktemp("template") / "liveshop.db"
    url = f"sqlite:///{path}"
    upgrade_database(url)
    forget_engine(url)
    return path


@pytest.fixture(scope="session")
def postgres_schema_url() -> Iterator[str]:
    """A private schema in the test database, migrated once; dropped at the end."""
    require_service("PostgreSQL", POSTGRES_URL, 5432)
    schema = f"liveshop_test_{os.getpid()}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in POSTGRES_URL else "?"
    url = f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    upgrade_database(url)
    yield url
    forget_engine(url)
    with admin.connect() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    admin.dispose()


TRUNCATE_TRIES = 5


def _empty_postgres(url: str) -> None:
    """Empty every migrated table of the private schema (the migrations, not the
    models, say which tables exist).

    The app's shutdown waits for its background jobs' threads (core/background.py), but
    only so long: a worker thread still finishing a read after it may make PostgreSQL
    pick the TRUNCATE as a deadlock's victim, and it is tried again once the read is
    done."""
    for attempt in range(1, TRUNCATE_TRIES + 1):
        try:
            _truncate_every_table(url)
            return
        except OperationalError as error:
            if not isinstance(error.orig, DeadlockDetected) or attempt == TRUNCATE_TRIES:
                raise
            time.sleep(0.5 * attempt)


def _truncate_every_table(url: str) -> None:
    with get_engine(url).begin() as connection:
        tables = connection.scalars(
            text(
                "SELECT quote_ident(tablename) FROM pg_tables"
                " WHERE schemaname = current_schema() AND tablename <> 'alembic_version'"
            )
        ).all()
        if tables:
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> Iterator[str]:
    path = tmp_path / "home" / "liveshop.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    yield url
    forget_engine(url)


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh, migrated database: SQLite, then PostgreSQL.

    A module that needs only SQLite overrides this fixture with ``sqlite_url``.
    """
    if request.param == "sqlite":
        yield request.getfixturevalue("sqlite_url")
        return
    url: str = request.getfixturevalue("postgres_schema_url")
    _empty_postgres(url)
    forget_cached_sales()  # ids restart after TRUNCATE: sale 1 is another sale now
    yield url
    _empty_postgres(url)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture
def settings(database_url: str, home: Path) -> Settings:
    return Settings(
        home=home,
        database_url=database_url,
        redis_url=None,
        secret_key=SECRET_KEY,
        environment="development",
        tick_seconds=0.05,
        counters_flush_seconds=30.0,  # tests flush explicitly with hub.persist()
    )


@pytest.fixture
def cli_env(database_url: str, home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A ``liveshop`` command run in the test reads the test's database and home."""
    monkeypatch.setenv("LIVESHOP_DATABASE_URL", database_url)
    monkeypatch.setenv("LIVESHOP_HOME", str(home))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def session(database_url: str) -> Iterator[Session]:
    """A session on the test database; the test commits what it wants others to see."""
    with get_session_factory(database_url)() as session:
        yield session
        session.rollback()


# --- users and tokens ---


@dataclass(frozen=True)
class Account:
    id: int
    username: str
    role: Role
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


MakeAccount = Callable[..., Account]


@pytest.fixture
def make_account(database_url: str) -> MakeAccount:
    """Create a committed user with a live token: ``make_account(Role.HOST)``."""
    counter = iter(range(1, 10_000))

    def make(role: Role = Role.VIEWER, username: str | None = None) -> Account:
        name = username or f"{role.value}_{next(counter)}"
        with unit_of_work(database_url) as session:
            user: User = accounts.create_user(session, username=name, password=PASSWORD, role=role)
            token = accounts.issue_token(session, user=user)
            return Account(id=user.id, username=user.username, role=user.role, token=token)

    return make


@pytest.fixture
def host(make_account: MakeAccount) -> Account:
    return make_account(Role.HOST, "host_anna")


@pytest.fixture
def viewer(make_account: MakeAccount) -> Account:
    return make_account(Role.VIEWER, "viewer_bo")


# --- the application ---


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """A client with the lifespan running (hub and event recorder started)."""
    with TestClient(app) as test_client:
        yield test_client
