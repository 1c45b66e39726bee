"""Is the database's schema already at the newest migration? Answered without importing alembic.

`gridbot run` migrates on every start; importing alembic and running its environment costs ≈ 0.2 s of CPU
even when there is nothing to do (cold start, issue 16). The newest revision is read from the migration
files' `revision = …` / `down_revision = …` lines and compared with the `alembic_version` row. Any doubt
(no file, no table, several heads, an error) answers False, and the caller runs alembic as always."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

VERSIONS_DIR = Path(__file__).resolve().parent / "versions"
_REVISION = re.compile(r"^revision\s*(?::[^=]*)?=\s*['\"]([^'\"]+)['\"]", re.MULTILINE)
_DOWN_REVISION = re.compile(r"^down_revision\s*(?::[^=]*)?=\s*(.+)$", re.MULTILINE)
_QUOTED = re.compile(r"['\"]([^'\"]+)['\"]")


def head_revision(versions: Path = VERSIONS_DIR) -> str | None:
    """The one revision no other migration revises; None when there is not exactly one."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for path in versions.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        revision = _REVISION.search(source)
        down = _DOWN_REVISION.search(source)
        if revision is None or down is None:
            return None
        revisions.add(revision.group(1))
        revised.update(_QUOTED.findall(down.group(1)))
    heads = revisions - revised
    return heads.pop() if len(heads) == 1 else None


def sqlite_revisions(path: Path) -> set[str]:
    """The revisions stored in a SQLite file; empty if the file or the table does not exist."""
    try:
        connection = sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=5)   # never creates the file
    except sqlite3.Error:
        return set()
    try:
        return {row[0] for row in connection.execute("SELECT version_num FROM alembic_version")}
    except sqlite3.Error:
        return set()
    finally:
        connection.close()


async def engine_revisions(engine: AsyncEngine) -> set[str]:
    """The revisions stored in the engine's database (PostgreSQL); empty if there is no table."""
    try:
        async with engine.connect() as connection:
            return set((await connection.execute(text("SELECT version_num FROM alembic_version"))).scalars())
    except Exception:   # no table yet, or unreachable: alembic will say which
        return set()
