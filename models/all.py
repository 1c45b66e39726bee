"""Imports every model module so that Base.metadata knows every table (Alembic, tests)."""

import importlib

from models import conversation, messages, outbox, people  # noqa: F401

for _name in ("models.needs", "models.booking", "models.events", "models.pushes", "models.surveys",
              "models.inbox"):
    try:
        importlib.import_module(_name)
    except ModuleNotFoundError as _exc:
        if _exc.name != _name:
            raise
