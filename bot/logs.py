"""Logging for the service and the CLI: one line per record on stderr, local time with the zone offset of
the community (the time the bot's own messages speak), text or JSON (`--log-json` or
GRIDBOT_LOG_FORMAT=json, for a log shipper).

`-v` makes gridbot's own loggers verbose and prints tracebacks; it never turns on the debug output of
the database and network libraries (aiosqlite logs every statement with its parameters: need texts,
senders' ids). Without `-v` an exception is one line: its type and message."""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
from datetime import datetime, tzinfo
from typing import Any, TextIO

# Libraries whose debug output carries SQL parameters, payloads or contact ids: never below WARNING.
QUIET = ("aiosqlite", "asyncio", "sqlalchemy", "asyncpg", "grpclib", "hpack", "urllib3", "alembic", "jieba",
         "apscheduler", "wechaty", "wechaty_puppet", "wechaty_puppet_service", "aiohttp.access")

class _Base(logging.Formatter):
    def __init__(self, tz: tzinfo | None, verbose: bool) -> None:
        super().__init__()
        self.tz = tz
        self.verbose = verbose

    def timestamp(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created, self.tz) if self.tz else datetime.fromtimestamp(record.created).astimezone()
        return when.isoformat(timespec="milliseconds")

    def exception_text(self, record: logging.LogRecord) -> str | None:
        if not record.exc_info or record.exc_info[0] is None:
            return None
        if self.verbose:
            return self.formatException(record.exc_info)
        exc = record.exc_info[1]
        return f"{type(exc).__name__}: {exc}".replace("\n", " ")[:500] + " (-v: traceback)"


class TextFormatter(_Base):
    def format(self, record: logging.LogRecord) -> str:
        line = f"{self.timestamp(record)} {record.levelname} {record.name}: {record.getMessage()}"
        exc = self.exception_text(record)
        if exc:
            line += ("\n" + exc) if self.verbose else (" | " + exc)
        return line


class JsonFormatter(_Base):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {"time": self.timestamp(record), "level": record.levelname, "logger": record.name}
        event = getattr(record, "event", None)
        if event:
            data["event"] = event
            data.update(getattr(record, "fields", {}) or {})
        else:
            data["msg"] = record.getMessage()
        exc = self.exception_text(record)
        if exc:
            data["exc"] = exc
        return json.dumps(data, ensure_ascii=False, default=str)


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at the time (a test's capture, a redirected stream)."""

    @property  # type: ignore[override]
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def json_wanted(flag: bool) -> bool:
    return flag or os.environ.get("GRIDBOT_LOG_FORMAT", "").strip().lower() == "json"


def setup_logging(*, verbose: bool = False, json_mode: bool = False, tz: tzinfo | None = None,
                  stream: TextIO | None = None) -> logging.Handler:
    """Replace the root handlers with one stderr handler; returns it (set_timezone updates it)."""
    handler: logging.Handler = logging.StreamHandler(stream) if stream is not None else _Stderr()
    handler.setFormatter((JsonFormatter if json_mode else TextFormatter)(tz, verbose))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.getLogger("gridbot").setLevel(logging.DEBUG if verbose else logging.INFO)
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.captureWarnings(True)
    threading.excepthook = _thread_exception
    return handler


def _thread_exception(args: threading.ExceptHookArgs) -> None:
    """An exception that ended a library's worker thread: a log record (one line unless -v), not a raw
    traceback. aiosqlite's thread outliving its event loop after a failed connect is noise: debug only."""
    log = logging.getLogger("gridbot.threads")
    if args.exc_type is SystemExit:
        return
    name = args.thread.name if args.thread else "?"
    if isinstance(args.exc_value, RuntimeError) and "Event loop is closed" in str(args.exc_value):
        log.debug("thread %s outlived its event loop", name)
        return
    log.error("thread %s failed", name, exc_info=(args.exc_type, args.exc_value, args.exc_traceback))


def set_timezone(tz: tzinfo) -> None:
    """Once the config is read: stamp every line in the community's time zone."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler.formatter, _Base):
            handler.formatter.tz = tz
