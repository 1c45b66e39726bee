"""The migrations build exactly the schema the models describe, on both backends: a model change
without its migration fails here, not on an operator's server."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import models.all  # noqa: F401  (every table on Base.metadata)
from models.base import Base
from models.db import make_engine, migrate


async def test_migrated_schema_matches_the_models(db_url: str) -> None:
    await migrate(db_url)
    engine = make_engine(db_url)
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync, opts={"compare_type": True}),
                                              Base.metadata))
    finally:
        await engine.dispose()
    assert diff == [], f"models and migrations differ; run `python -m models.migrations.regen`: {diff}"
