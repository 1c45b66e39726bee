"""Imports every model module so that Base.metadata knows every table (Alembic, tests)."""

from models import (  # noqa: F401
    admin_log, booking, conversation, duty, events, inbox, knowledge, lifecycle, messages, needs, outbox, people,
    photos, pushes, staff, surveys,
)
