"""The capability routers in dispatch order. Stages decide first (staff commands before resident
commands before follow-ups…); within one stage, earlier modules win."""

from __future__ import annotations

from handlers import booking, events, help, hotwords, inquiry, needs, photos, speech, staff, surveys
from handlers.base import Router


def all_routers() -> list[Router]:
    return [staff.router, hotwords.router, speech.router, needs.router, booking.router, events.router, surveys.router, inquiry.router, help.router,
            photos.router]
