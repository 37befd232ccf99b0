"""Document fixtures, built once per session by the generator (the same bytes as the committed copies)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.documents.generate import write_all


@pytest.fixture(scope="session")
def documents(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_all(tmp_path_factory.mktemp("documents"))


# The API suite's fixtures (a pool on the local database, an API client, users with sessions).
from tests.api.conftest import api, db, make_user  # noqa: E402

__all__ = ["api", "db", "documents", "make_user"]
