"""Structured log events: one line an operator can grep and a log shipper can parse.

    log_event(log, "outbox.sent", row=12, chat="group", attempts=1)

writes the message `outbox.sent row=12 chat="group" attempts=1` and keeps the event name and the fields
on the record, so that the JSON formatter (bot/logs.py) emits them as keys. Fields must never carry need
texts, names, phones or the id of a private chat: log codes, row ids, route names and roles."""

from __future__ import annotations

import logging
from typing import Any


def format_fields(fields: dict[str, Any]) -> str:
    parts = []
    for key, value in fields.items():
        if isinstance(value, str):
            value = value.replace("\n", " ")
        if isinstance(value, str) and (not value or any(c in value for c in " =\"")):
            value = '"' + value.replace('"', "'") + '"'
        parts.append(f"{key}={value}")
    return " ".join(parts)


def log_event(logger: logging.Logger | str, event: str, *, log_level: int = logging.INFO, **fields: Any) -> None:
    if isinstance(logger, str):
        logger = logging.getLogger(logger)
    if not logger.isEnabledFor(log_level):
        return
    message = f"{event} {format_fields(fields)}" if fields else event
    logger.log(log_level, "%s", message, extra={"event": event, "fields": fields})
