"""Every search test runs on each full-text engine: the database's own and Tantivy."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from liveshop.search.database_engine import DatabaseEngine
from liveshop.search.engines import FullTextEngine, current_search_engine, use_search_engine
from liveshop.search.tantivy_engine import TantivyEngine


@pytest.fixture(params=["database", "tantivy"], autouse=True)
def search_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FullTextEngine]:
    """The engine in use for the test (a Tantivy index in the test's own directory)."""
    before = current_search_engine()
    engine: FullTextEngine = (
        DatabaseEngine() if request.param == "database" else TantivyEngine(tmp_path / "index")
    )
    use_search_engine(engine)
    yield engine
    use_search_engine(before)
