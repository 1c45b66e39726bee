"""Imports every model module so that Base.metadata knows every table (Alembic, tests)."""

from models import (  # noqa: F401
    booking, conversation, events, inbox, lifecycle, messages, needs, outbox, people, photos, pushes, surveys,
)
