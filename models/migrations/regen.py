"""Regenerate this release's migration from the models.

    python -m models.migrations.regen

`0001_baseline` is the schema of the first landed release and is never edited again. Every change made
since goes into one revision, `0002_release2`, regenerated here by autogenerate against a database at
0001, until this release lands; the next release starts 0003 the same way. Parallel branches each
regenerate it, and a merge regenerates it once more from the merged models."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command

from models.db import _alembic_config, sqlite_url

VERSIONS = Path(__file__).resolve().parent / "versions"
BASE_REV, REV, NAME = "0001", "0002", "0002_release2"


def main() -> None:
    for old in VERSIONS.glob(f"{REV}_*.py"):
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        cfg = _alembic_config(sqlite_url(Path(tmp) / "base.db"))
        command.upgrade(cfg, BASE_REV)
        command.revision(cfg, message="release 2", autogenerate=True, rev_id=REV)
    generated = next(VERSIONS.glob(f"{REV}_*.py"))
    generated.rename(VERSIONS / f"{NAME}.py")
    print(f"wrote {VERSIONS / (NAME + '.py')}", file=sys.stderr)


if __name__ == "__main__":
    main()
