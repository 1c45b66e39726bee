"""`gridbot backup [--out FILE]` and `gridbot restore FILE`: one .tar.gz with everything a deployment keeps.

    manifest.json            what, when, which gridbot, which database kind
    database/gridbot.db      SQLite: a consistent copy made with SQLite's online backup API, safe while
                             the service runs (it copies one snapshot; writers carry on)
    database/gridbot.pgdump  PostgreSQL: pg_dump --format=custom (restored with pg_restore)
    files/<dir>/…            directories of the data directory listed in FILE_DIRS: photos/ (随手拍,
                             content-addressed photo files and thumbnails, models/photos.py)

Restore checks the archive (manifest, SQLite integrity_check) before touching anything, refuses while a
service uses the SQLite database (the service holds a shared lock on `<db>.lock`), and keeps the previous
database file beside the restored one."""

from __future__ import annotations

import contextlib
import fcntl
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.faults import OperatorError, parse_db_url, safe_url, sqlite_path
from texts import ops as T

FORMAT = "gridbot-backup"
VERSION = 1
# Directories under the data directory that belong in a backup, e.g. "photos" once photos are stored.
FILE_DIRS: tuple[str, ...] = ("photos",)   # 随手拍 (models/photos.py)


@dataclass(frozen=True)
class Result:
    path: Path
    what: str


# ---------------------------------------------------------------- the service's lock

def lock_path(db: Path) -> Path:
    return db.with_name(db.name + ".lock")


@contextlib.contextmanager
def service_lock(url: str) -> Iterator[None]:
    """Held (shared) by a running service on a SQLite database, so that restore can tell it is in use.
    Several services may share a database; restore needs it to itself. Nothing to hold for PostgreSQL."""
    db = sqlite_path(url)
    if db is None:
        yield
        return
    fd = os.open(lock_path(db), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)


@contextlib.contextmanager
def _exclusive(db: Path) -> Iterator[None]:
    fd = os.open(lock_path(db), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OperatorError(T.ALREADY_RUNNING_RESTORE, path=db) from None
        yield
    finally:
        os.close(fd)


# ---------------------------------------------------------------- backup

def default_out(data_dir: Path, now: datetime) -> Path:
    return data_dir / "backups" / f"gridbot-{now:%Y%m%d-%H%M%S}.tar.gz"


def backup(url: str, out: Path, data_dir: Path, now: datetime) -> Result:
    parse_db_url(url)
    db = sqlite_path(url)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(out.name + ".partial")
        with tempfile.TemporaryDirectory(prefix="gridbot-backup-", dir=out.parent) as tmp:
            if db is not None:
                dump, kind = Path(tmp) / "gridbot.db", "sqlite"
                _sqlite_copy(db, dump)
            else:
                dump, kind = Path(tmp) / "gridbot.pgdump", "postgresql"
                _pg_tool("pg_dump", url, ["--format=custom", "--no-owner", "--no-privileges", f"--file={dump}"])
            dirs = [d for d in FILE_DIRS if (data_dir / d).is_dir()]
            manifest = {"format": FORMAT, "version": VERSION, "created_at": now.isoformat(), "database": kind,
                        "gridbot": _version(), "files": dirs}
            with tarfile.open(partial, "w:gz") as tar:
                _add_bytes(tar, "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1).encode())
                tar.add(dump, arcname=f"database/{dump.name}")
                for d in dirs:
                    tar.add(data_dir / d, arcname=f"files/{d}")
        os.replace(partial, out)     # never a half-written file under the final name
    except OSError as exc:
        raise OperatorError(T.OUT_UNWRITABLE, path=out, error=exc.strerror or exc) from exc
    what = ("SQLite " + str(db)) if db is not None else ("PostgreSQL " + safe_url(url))
    return Result(out, what + (f" + files/{', files/'.join(dirs)}" if dirs else ""))


def _sqlite_copy(db: Path, dest: Path) -> None:
    if not db.exists():
        raise OperatorError(T.DB_MISSING, path=db, url=f"sqlite:///{db}")
    source = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    target = sqlite3.connect(dest)
    try:
        source.execute("PRAGMA busy_timeout=10000")
        source.backup(target)      # one step: a consistent snapshot even while the service writes
    finally:
        target.close()
        source.close()


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(datetime.now(timezone.utc).timestamp())
    tar.addfile(info, io.BytesIO(data))


def _version() -> str:
    try:
        return metadata.version("gridbot")
    except metadata.PackageNotFoundError:
        return "unknown"


# ---------------------------------------------------------------- restore

def restore(archive: Path, url: str, data_dir: Path, now: datetime) -> tuple[str, str]:
    """Put the archive's database (and files) in place. Returns (what was kept of the old state, taken at)."""
    parse_db_url(url)
    db = sqlite_path(url)
    with tempfile.TemporaryDirectory(prefix="gridbot-restore-") as tmp:
        manifest = _unpack(archive, Path(tmp))
        want = "sqlite" if db is not None else "postgresql"
        if manifest["database"] != want:
            raise OperatorError(T.BACKUP_KIND, path=archive, kind=manifest["database"], target=want, url=safe_url(url))
        if db is not None:
            kept = _restore_sqlite(Path(tmp) / "database" / "gridbot.db", db, now, archive)
        else:
            _pg_tool("pg_restore", url, ["--clean", "--if-exists", "--no-owner", "--no-privileges",
                                         "--single-transaction", str(Path(tmp) / "database" / "gridbot.pgdump")])
            kept = ""
        for d in manifest.get("files", []):
            target = data_dir / d
            if target.exists():
                target.rename(target.with_name(f"{d}.before-restore-{now:%Y%m%d-%H%M%S}"))
            shutil.copytree(Path(tmp) / "files" / d, target)
    return kept, str(manifest.get("created_at", "?"))


def _unpack(archive: Path, into: Path) -> dict:
    try:
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(into, filter="data")     # no absolute paths, no .., no devices
        manifest = json.loads((into / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, tarfile.TarError, EOFError, ValueError, KeyError) as exc:
        raise OperatorError(T.BACKUP_BAD, path=archive, error=exc) from exc
    if manifest.get("format") != FORMAT or manifest.get("database") not in ("sqlite", "postgresql"):
        raise OperatorError(T.BACKUP_BAD, path=archive, error="manifest.json is not a gridbot backup manifest")
    if manifest.get("version", 0) > VERSION:
        raise OperatorError(T.BACKUP_BAD, path=archive, error=f"backup format {manifest['version']} is newer than "
                                                               f"this gridbot ({VERSION})")
    return manifest


def _restore_sqlite(source: Path, db: Path, now: datetime, archive: Path) -> str:
    try:
        check = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            verdict = check.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            check.close()
    except sqlite3.DatabaseError as exc:
        raise OperatorError(T.BACKUP_BAD, path=archive, error=exc) from exc
    if verdict != "ok":
        raise OperatorError(T.BACKUP_BAD, path=archive, error=f"integrity_check: {verdict}")
    db.parent.mkdir(parents=True, exist_ok=True)
    with _exclusive(db):
        kept = ""
        if db.exists():
            # Fold the write-ahead log into the file first, so the kept copy is whole on its own.
            old = sqlite3.connect(db)
            try:
                old.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                old.close()
            kept_path = db.with_name(f"{db.name}.before-restore-{now:%Y%m%d-%H%M%S}")
            db.rename(kept_path)
            kept = str(kept_path)
        for suffix in ("-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                db.with_name(db.name + suffix).unlink()
        staged = db.with_name(db.name + ".restoring")
        shutil.copyfile(source, staged)
        os.replace(staged, db)
    return kept


# ---------------------------------------------------------------- PostgreSQL tools

def _pg_tool(tool: str, url: str, args: list[str]) -> None:
    """Run pg_dump/pg_restore against the URL; the password goes in the environment, not the command line."""
    exe = shutil.which(tool)
    if exe is None:
        raise OperatorError(T.PG_TOOL_MISSING, tool=tool)
    parsed = make_url(url)
    env = {**os.environ}
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    libpq = parsed.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    proc = subprocess.run([exe, f"--dbname={libpq}", *args], env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        error = (proc.stderr.strip().splitlines() or ["?"])[-1][:300]
        raise OperatorError(T.PG_TOOL_FAILED, tool=tool, code=proc.returncode, error=error)
