"""The web server (aiohttp): health, metrics, the demo sandbox, and the mount points for the inbox and
the H5 survey pages. An app factory with typed AppKeys, as aiohttp's own examples do: every page module
reads the core from `app[CORE]`; pages are Jinja2 templates under templates/ (bot/web/pages.py)."""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import secrets
from datetime import datetime, timezone
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from sqlalchemy import func, select

from kernel import metrics
from bot.app import Core
from bot.web import admin_bookings, admin_events, admin_surveys, inbox, pages, photos, sandbox, staff_pages, survey_h5
from bot.web.proxies import forwarded_for
from bot.web import admin_knowledge, admin_staff
from bot.web.auth import bearer
from bot.web.keys import CORE, CSRF_SECRET, METRICS_TOKEN, SIMULATOR, STATIC, THROTTLE
from bot.web.throttle import Throttle
from models.outbox import OutboxMessage, OutboxStatus

log = logging.getLogger("gridbot.web")


@web.middleware
async def security_headers(request: web.Request, handler: Any) -> web.StreamResponse:
    response = await handler(request)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "media-src 'self' data:; frame-ancestors 'none'; form-action 'self'")
    return response


async def healthz(request: web.Request) -> web.Response:
    """ok only when the database answers, every recent write committed, and the channel is up. While
    writes fail, received messages are kept and replayed (bot/router.py): `writes` says how many wait."""
    core = request.app[CORE]
    try:
        async with core.reads() as session:
            pending = await session.scalar(select(func.count()).select_from(OutboxMessage)
                                           .where(OutboxMessage.status == OutboxStatus.PENDING))
        db_ok = True
    except Exception:
        log.exception("health check: database unreachable")
        pending, db_ok = None, False
    writes = core.dispatcher.write_health()
    if core.sender is not None and core.sender.failing_since is not None:
        writes["ok"] = False
        writes["outbox"] = "failing"
    channel_ready = core.sender.channel.is_ready() if core.sender else False
    ok = db_ok and writes["ok"] and channel_ready
    return web.json_response({"status": "ok" if ok else "degraded", "database": db_ok, "writes": writes,
                              "channel": channel_ready, "outbox_pending": pending},
                             status=200 if ok else 503)


def metrics_token() -> str | None:
    """The bearer token /metrics asks for (GRIDBOT_METRICS_TOKEN); without one, only this machine may read it."""
    return os.environ.get("GRIDBOT_METRICS_TOKEN", "").strip() or None


def direct_loopback(request: web.Request) -> bool:
    """A client on this machine talking to us directly. A request relayed by a reverse proxy on this machine
    also comes from 127.0.0.1, but carries a forwarding header: that one is from outside."""
    if any(h in request.headers for h in ("Forwarded", "X-Forwarded-For", "X-Real-IP")):
        return False
    try:
        address = ipaddress.ip_address(request.remote or "")
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback


async def metrics_view(request: web.Request) -> web.Response:
    token = request.app[METRICS_TOKEN]
    if token is not None:
        sent = bearer(request) or ""
        if not hmac.compare_digest(sent.encode(), token.encode()):
            return web.Response(status=401, text="401: bearer token required (GRIDBOT_METRICS_TOKEN)\n",
                                headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    elif not direct_loopback(request):
        return web.Response(status=403, text="403: /metrics is served to this machine only; set "
                                             "GRIDBOT_METRICS_TOKEN to scrape it from elsewhere\n")
    core = request.app[CORE]
    now = core.clock.now()
    try:
        async with core.reads() as session:
            rows = (await session.execute(select(OutboxMessage.status, func.count())
                                          .group_by(OutboxMessage.status))).all()
            oldest = await session.scalar(select(func.min(OutboxMessage.created_at)).where(
                OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now))
        counts = {str(status): count for status, count in rows}
        for status in OutboxStatus:
            metrics.OUTBOX.labels(str(status)).set(counts.get(str(status), 0))
        metrics.OUTBOX_OLDEST.set(max(0.0, (now - _aware(oldest)).total_seconds()) if oldest else 0.0)
        metrics.DATABASE_UP.set(1)
    except Exception:
        log.exception("metrics: database unreachable")
        metrics.DATABASE_UP.set(0)
    if core.sender is not None:
        channel = core.sender.channel
        metrics.CHANNEL_UP.labels(getattr(channel, "name", "chat")).set(1 if channel.is_ready() else 0)
    body, content_type = metrics.render()
    return web.Response(body=body, headers={"Content-Type": content_type})


def _aware(when: datetime) -> datetime:
    """SQLite hands back naive UTC datetimes."""
    return when if when.tzinfo is not None else when.replace(tzinfo=timezone.utc)


async def index(request: web.Request) -> web.Response:
    return aiohttp_jinja2.render_template("index.html", request, {
        "community": request.app[CORE].config.community, "sandbox": request.app.get(SIMULATOR) is not None})


def make_app(core: Core, simulator: Any = None) -> web.Application:
    app = web.Application(middlewares=[forwarded_for(core.config.web.trusted_proxies), security_headers],
                          client_max_size=256 * 1024)
    app[CORE] = core
    app[SIMULATOR] = simulator
    app[CSRF_SECRET] = secrets.token_urlsafe(32)
    app[METRICS_TOKEN] = metrics_token()
    app[THROTTLE] = Throttle()
    pages.setup(app)
    app.router.add_get("/", index)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_view)
    app.router.add_static("/static/", STATIC)
    if simulator is not None:
        sandbox.setup_routes(app)
    inbox.setup_routes(app)
    photos.setup_routes(app)
    staff_pages.setup_routes(app)
    survey_h5.setup_routes(app)
    admin_events.setup_routes(app)
    admin_bookings.setup_routes(app)
    admin_surveys.setup_routes(app)
    admin_staff.setup_routes(app)
    admin_knowledge.setup_routes(app)
    return app
