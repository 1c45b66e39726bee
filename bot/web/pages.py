"""The staff pages' shell: one Jinja2 environment (auto-escaping every value), one layout
(templates/base.html) with the tab bar, and `render` that every page module answers through.

A page template extends base.html and fills `{% block body %}`; the pieces a page re-fetches as JSON
(the need list, the suggestions) are templates of their own, rendered by `fragment`. Tabs are listed
here once, each with the roles that see it, so a new page adds one line and no module builds
navigation HTML of its own."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web
from markupsafe import Markup

from bot.web.keys import CORE
from models import inbox as M
from texts import admin as XA
from texts import inbox as X

TEMPLATES = __import__("pathlib").Path(__file__).resolve().parent / "templates"
STAFF = frozenset({M.WebRole.ADMIN, M.WebRole.WORKER})
EVERYONE = frozenset(M.WebRole)
ADMIN = frozenset({M.WebRole.ADMIN})


@dataclass(frozen=True)
class Tab:
    key: str
    href: str
    label: str
    roles: frozenset[M.WebRole]
    badge: int | None = None


TABS: tuple[Tab, ...] = (
    Tab("inbox", "/inbox", "诉求", EVERYONE),
    Tab("suggestions", "/inbox/suggestions", "未诉先办", STAFF),
    Tab("intake", "/inbox/intake", X.INTAKE_TAB, STAFF),
    Tab("charts", "/inbox/charts", "图表", EVERYONE),
    Tab("report", "/inbox/report", X.REPORT_TAB, EVERYONE),
    Tab("exports", "/inbox/exports", "导出", STAFF),
    Tab("audit", "/inbox/audit", "查看记录", ADMIN),
    Tab("surveys", "/inbox/surveys", "问卷", STAFF),
    Tab("events", "/inbox/activities", "活动", EVERYONE),
    Tab("bookings", "/inbox/bookings", "预约审批", EVERYONE),
    Tab("admin-staff", "/inbox/admin/staff", XA.STAFF_TAB, ADMIN),
    Tab("admin-faq", "/inbox/admin/faq", XA.FAQ_TAB, ADMIN),
)


def tabs_for(actor: Any, suggestions: int | None = None) -> list[Tab]:
    if actor is None:
        return []
    out = []
    for tab in TABS:
        if actor.role in tab.roles:
            badge = suggestions if tab.key == "suggestions" and suggestions else None
            out.append(Tab(tab.key, tab.href, tab.label, tab.roles, badge))
    return out


def _finalize(value: Any) -> Any:
    """None prints as nothing; text is escaped as html.escape does (&quot; for a quote), so a page reads
    the same to tests and tools as before the move to templates. Markup passes through."""
    if value is None:
        return ""
    if isinstance(value, str) and not isinstance(value, Markup):
        return Markup(html.escape(value, quote=True))
    return value


def setup(app: web.Application) -> None:
    """The one Jinja2 environment of an app (idempotent: a module mounted on a bare app calls it too)."""
    if app.get(aiohttp_jinja2.APP_KEY) is not None:
        return
    aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                         undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                         finalize=_finalize)


def fragment(request: web.Request, template: str, **context: Any) -> str:
    """A piece of a page (no layout) as HTML text, for the JSON a page re-fetches it with."""
    return aiohttp_jinja2.get_env(request.app).get_template(template).render(context)


def render(request: web.Request, actor: Any, template: str = "base.html", *, title: str, page: str,
           tab: str = "", status: int = 200, suggestions: int | None = None, timing: float | None = None,
           **context: Any) -> web.Response:
    """One staff page: the layout around `template`'s body block, never cached (staff data), with the
    time the app spent (Server-Timing) when the caller measured it."""
    core = request.app[CORE]
    values = {"title": title, "page": page, "actor": actor, "community": core.config.community,
              "now_ms": int(core.clock.now().timestamp() * 1000), "tabs": tabs_for(actor, suggestions),
              "active_tab": tab, **context}
    response = aiohttp_jinja2.render_template(template, request, values, status=status)
    response.headers["Cache-Control"] = "no-store"
    if timing is not None:
        response.headers["Server-Timing"] = f"app;dur={timing * 1000:.1f}"
    return response


def message(request: web.Request, actor: Any, heading: str, text: str, status: int, *, title: str | None = None,
            tab: str = "", page: str = "message", back: str = "/inbox", back_label: str = "返回诉求列表",
            alert: bool = False) -> web.Response:
    """One short page that says one thing (not found, refused, done) with a way back: every page module's
    refusals look alike."""
    return render(request, actor, "message.html", title=title or heading, page=page, tab=tab, status=status,
                  heading=heading, message=text, back=back, back_label=back_label, alert=alert)
