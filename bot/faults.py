"""Faults an operator can fix, told as one paragraph (what, why, what to do) in Chinese and English.

Code that knows the context (the web port, the gateway, the database URL) raises `OperatorError`; the
CLI prints its paragraph and exits 2, with the traceback only under `-v`. `database_fault` turns the
errors of SQLite, PostgreSQL and Alembic into such a paragraph, looking through SQLAlchemy's wrapping
and the exception chain for the cause."""

from __future__ import annotations

import errno
import getpass
import socket
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from texts import ops as T

EXIT_FAULT = 2       # the operator can fix it
EXIT_INTERNAL = 1    # a bug


class OperatorError(Exception):
    def __init__(self, text: tuple[str, str], **values: object) -> None:
        zh, en = text
        self.zh, self.en = zh.format(**values), en.format(**values)
        super().__init__(self.en)

    def paragraph(self) -> str:
        return f"{self.zh}\n{self.en}"


def causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception, what SQLAlchemy wrapped (.orig), and its causes and contexts, each once."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        e = todo.pop(0)
        if id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        for nxt in (getattr(e, "orig", None), e.__cause__, e.__context__):
            if isinstance(nxt, BaseException):
                todo.append(nxt)


def user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "?"


# ---------------------------------------------------------------- database URLs

def parse_db_url(url: str) -> URL:
    """The URL if gridbot can use it (SQLite or PostgreSQL), else an OperatorError."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise OperatorError(T.DB_SCHEME, url=url) from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql", "postgres"):
        raise OperatorError(T.DB_SCHEME, url=safe_url(url))
    return parsed


def safe_url(url: str) -> str:
    """The URL with its password hidden, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (None for PostgreSQL or an in-memory database)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def require_existing(url: str) -> None:
    """For commands that only read: a SQLite file that is not there is a typo, not a new database."""
    parse_db_url(url)
    path = sqlite_path(url)
    if path is not None and not path.exists():
        raise OperatorError(T.DB_MISSING, path=path, url=safe_url(url))


def database_fault(exc: BaseException, url: str) -> OperatorError | None:
    """The paragraph for a database failure, or None if `exc` is not one we recognise."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return OperatorError(T.DB_SCHEME, url=url)
    shown = parsed.render_as_string(hide_password=True)
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database or url
        for e in causes(exc):
            message = str(e).lower()
            if isinstance(e, (sqlite3.Error, OSError)):
                if "unable to open database" in message:
                    return OperatorError(T.DB_SQLITE_OPEN, path=path, user=user())
                if "readonly" in message or "read-only" in message:
                    return OperatorError(T.DB_SQLITE_READONLY, path=path, user=user())
                if "not a database" in message:
                    return OperatorError(T.DB_SQLITE_NOT_DB, path=path)
                if "disk is full" in message or getattr(e, "errno", None) == errno.ENOSPC:
                    return OperatorError(T.DB_SQLITE_FULL, path=path)
                if "database is locked" in message:
                    return OperatorError(T.DB_SQLITE_LOCKED, path=path)
    else:
        host, port = parsed.host or "localhost", parsed.port or 5432
        where = f"{host}:{port}"
        for e in causes(exc):
            name = type(e).__name__
            if name in ("InvalidPasswordError", "InvalidAuthorizationSpecificationError"):
                return OperatorError(T.PG_AUTH, where=where, error=e, url=shown)
            if name == "InvalidCatalogNameError":
                return OperatorError(T.PG_NO_DATABASE, where=where, dbname=parsed.database, host=host, port=port)
            if isinstance(e, (ConnectionError, socket.gaierror, TimeoutError)) or (
                    isinstance(e, OSError) and e.errno in (errno.ECONNREFUSED, errno.EHOSTUNREACH, errno.ENETUNREACH)):
                return OperatorError(T.PG_REFUSED, where=where, error=_short(e), host=host, port=port, url=shown)
    for e in causes(exc):
        if type(e).__name__ == "CommandError" and "locate revision" in str(e):
            return OperatorError(T.DB_TOO_NEW, url=shown, error=str(e).split("'")[1] if "'" in str(e) else e)
    return None


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:200]


# ---------------------------------------------------------------- listening

def bind_fault(exc: OSError, host: str, port: int) -> OperatorError:
    if exc.errno == errno.EADDRINUSE:
        return OperatorError(T.PORT_BUSY, host=host, port=port)
    if exc.errno == errno.EACCES:
        return OperatorError(T.PORT_DENIED, host=host, port=port)
    return OperatorError(T.HOST_UNKNOWN, host=host, port=port, error=_short(exc))


def internal(exc: BaseException) -> str:
    zh, en = T.INTERNAL
    error = f"{type(exc).__name__}: {_short(exc)}"
    return f"{zh.format(error=error)}\n{en.format(error=error)}"
