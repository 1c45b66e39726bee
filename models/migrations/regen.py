"""Regenerate the baseline migration from the models (before the first release only).

    python -m models.migrations.regen

Until gridbot is deployed anywhere, the schema is one baseline revision generated from the models;
after the first release, new revisions go on top with `alembic revision --autogenerate`."""

from __future__ import annotations

import tempfile
from pathlib import Path

from alembic import command

from models.db import _alembic_config, sqlite_url

VERSIONS = Path(__file__).resolve().parent / "versions"
BASELINE = "0001_baseline"


def main() -> None:
    for old in VERSIONS.glob("0001_*.py"):
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        cfg = _alembic_config(sqlite_url(Path(tmp) / "empty.db"))
        command.revision(cfg, message="baseline", autogenerate=True, rev_id="0001")
    generated = next(VERSIONS.glob("0001_*.py"))
    generated.rename(VERSIONS / f"{BASELINE}.py")
    print(f"wrote {VERSIONS / (BASELINE + '.py')}")


if __name__ == "__main__":
    main()
