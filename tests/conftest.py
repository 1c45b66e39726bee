"""Shared fixtures. Every test that touches the database runs on SQLite; with GRIDBOT_TEST_PG=1
(CI sets it) the same tests also run on PostgreSQL, each in a fresh database."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from kernel.config import Config, load_config

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN_DSN = os.environ.get("GRIDBOT_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
BACKENDS = ["sqlite", "postgresql"] if os.environ.get("GRIDBOT_TEST_PG") == "1" else ["sqlite"]

os.environ.setdefault("GRIDBOT_CACHE_DIR", str(ROOT / ".cache"))


@pytest.fixture(scope="session")
def config() -> Config:
    return load_config(ROOT / "config.example.toml")


async def _pg_database() -> tuple[str, str]:
    import asyncpg

    name = "gridbot_t_" + uuid.uuid4().hex[:12]
    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base = PG_ADMIN_DSN.rsplit("/", 1)[0]
    return name, base.replace("postgresql://", "postgresql+asyncpg://") + "/" + name


async def _drop_pg_database(name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(params=BACKENDS)
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
        return
    name, url = await _pg_database()
    try:
        yield url
    finally:
        await _drop_pg_database(name)


@pytest.fixture
async def harness(config: Config, db_url: str):  # type: ignore[no-untyped-def]
    from tests.harness import Harness

    h = await Harness.create(config, db_url)
    try:
        yield h
    finally:
        await h.close()
