"""The capability routers in dispatch order (within one stage, earlier modules win)."""

from __future__ import annotations

import importlib

from handlers.base import Router

# Order matters within a stage: staff commands of every capability come before resident commands
# anyway (stages); inside a stage, needs before booking before events before surveys.
CAPABILITIES = ("handlers.staff", "handlers.needs", "handlers.booking", "handlers.events", "handlers.surveys",
                "handlers.inquiry", "handlers.help")


def all_routers() -> list[Router]:
    routers = []
    for name in CAPABILITIES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue   # a capability not built yet
        routers.append(module.router)
    return routers
