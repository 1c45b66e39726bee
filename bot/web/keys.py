"""The typed AppKeys every web module reads (aiohttp's `web.AppKey`). A module of their own so that the
page modules and the app factory that mounts them do not import each other."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from bot.app import Core
from bot.web.throttle import Throttle

CORE = web.AppKey("core", Core)
SIMULATOR = web.AppKey("simulator", object)          # the demo's gateway simulator, or None
CSRF_SECRET = web.AppKey("csrf_secret", str)
METRICS_TOKEN = web.AppKey("metrics_token", object)   # str | None
THROTTLE = web.AppKey("login_throttle", Throttle)   # one for the login page and the API
STATIC = Path(__file__).resolve().parent / "static"
