"""The capability routers in dispatch order (within one stage, earlier modules win)."""

from __future__ import annotations

from handlers.base import Router


def all_routers() -> list[Router]:
    from handlers import help

    return [help.router]
