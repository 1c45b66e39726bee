"""Imports every model module so that Base.metadata knows every table (Alembic, tests)."""

from models import conversation, messages, outbox, people  # noqa: F401
