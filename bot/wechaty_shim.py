"""The one module through which gridbot imports wechaty (python-wechaty 0.10.7).

wechaty needs three things done *before* its first import, and has process-global
state that several bots in one process (tests, reconnects) must not share:

- Python 3.11 rejects `WechatyOptions.puppet_options = PuppetOptions()` as a mutable
  dataclass default; giving `PuppetOptions` an identity hash makes the import work.
- Importing wechaty creates `./.wechaty/` unless `CACHE_DIR` points elsewhere; unless
  already set, it is pointed at `$GRIDBOT_CACHE_DIR/wechaty`, else `~/.cache/gridbot/wechaty`.
- Its loggers print straight to stderr at INFO (propagate=False) and log the gateway
  token in warnings; here they are routed through normal logging and redacted.
- It imports a web framework (Quart, Flask, Hypercorn) for its plugin server, PyGithub for
  GitHub link cards and BeautifulSoup for link previews: ≈ 0.4 s CPU of every start, for
  features gridbot never uses. While wechaty imports, those names resolve to stand-ins
  (`_STAND_INS`), then leave `sys.modules`, so the real packages stay importable.

Import wechaty names from here, never from `wechaty` directly.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
import types
from collections.abc import Iterator
from typing import Any

from kernel.cache import cache_dir

# wechaty reads CACHE_DIR lazily (and at import, for its scheduler job store path).
if "CACHE_DIR" not in os.environ:
    _dir = cache_dir() / "wechaty"
    _dir.mkdir(exist_ok=True)
    os.environ["CACHE_DIR"] = str(_dir)

import wechaty_puppet.schemas.puppet as _puppet_schema  # noqa: E402

_puppet_schema.PuppetOptions.__hash__ = object.__hash__


class _Unused:
    """A name wechaty imports for a feature gridbot does not use; using it says so."""

    def __init__(self, *_args: Any, **_kwargs: Any) -> None:
        pass

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(f"wechaty's {type(self).__name__}.{name} is not available in gridbot (bot/wechaty_shim.py)")


class _NoRoutes:
    def iter_rules(self) -> Iterator[Any]:
        return iter(())


class _Quart(_Unused):
    """wechaty builds one per bot and, at login, lists its routes: with no plugin there are none, so it
    starts no web server (wechaty/plugin.py)."""

    url_map = _NoRoutes()


def _cors(app: Any, *_args: Any, **_kwargs: Any) -> Any:
    return app


_STAND_INS: dict[str, dict[str, Any]] = {
    "quart": {"Quart": _Quart, "request": _Unused(), "send_file": _Unused, "Response": _Unused,
              "jsonify": _Unused},
    "quart_cors": {"cors": _cors},
    "opengraph_py3": {"OpenGraph": _Unused},   # link previews (UrlLink.create)
    "github": {"Github": _Unused},             # GitHub link cards (UrlLink.create_from_github…)
    **{f"github.{name}": {name: _Unused} for name in
       ("Repository", "PullRequest", "PullRequestComment", "Issue", "IssueComment")},
}


@contextlib.contextmanager
def _stand_ins() -> Iterator[None]:
    installed = [name for name in _STAND_INS if name not in sys.modules]
    for name in installed:
        module = types.ModuleType(name, "a stand-in while wechaty imports (bot/wechaty_shim.py)")
        module.__dict__.update({key: type(key, (value,), {}) if isinstance(value, type) else value
                                for key, value in _STAND_INS[name].items()})
        sys.modules[name] = module
    try:
        yield
    finally:
        for name in installed:
            sys.modules.pop(name, None)


_loggers_before = set(logging.Logger.manager.loggerDict)

with _stand_ins():
    import wechaty  # noqa: E402
    import wechaty_puppet_service  # noqa: E402  (wechaty imports it lazily; load its loggers now)
    from wechaty import (  # noqa: E402
        Contact,
        Message,
        Room,
        Tag,
        Wechaty,
        WechatyOptions,
    )
    from wechaty.config import AT_SEPARATOR  # noqa: E402
    from wechaty.user.contact_self import ContactSelf  # noqa: E402
    from wechaty.utils.async_helper import SingleIdContainer  # noqa: E402
    from wechaty_puppet import FileBox, MessageType, PuppetOptions  # noqa: E402
    from wechaty_puppet.exceptions import WechatyPuppetError  # noqa: E402
    from wechaty_puppet_service import PuppetService  # noqa: E402
    from wechaty_puppet_service.puppet import _map_message_type as map_message_type  # noqa: E402

__all__ = [
    "AT_SEPARATOR",
    "Contact",
    "ContactSelf",
    "FileBox",
    "Message",
    "MessageType",
    "PuppetOptions",
    "PuppetService",
    "Room",
    "Tag",
    "Wechaty",
    "WechatyOptions",
    "WechatyPuppetError",
    "isolate_user_pools",
    "map_message_type",
    "reset_wechaty_globals",
]


class _WechatyLogFilter(logging.Filter):
    """Redact tokens and drop warnings that are expected in gridbot's set-up.

    wechaty-puppet-service logs `token<...>` in plain text: hide every `<...>` there.
    Dropped: "endpoint and token" (we always pass both), "no blueprint" (we run no
    plugins, so no web server: wanted), "set payload more than once" (two concurrent
    loads of the same contact; harmless), and "internal error <>" (an assert in wechaty's
    plugin dispatch fails on every scan event; an empty error says nothing anyway).
    """

    _angle = re.compile(r"<[^<>]*>")
    _expected = ("and the endpoint will be used", "not registed blueprint", "set payload more than once")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(expected in message for expected in self._expected) or message == "internal error <>":
            return False
        if "token" in message.lower():
            record.msg = self._angle.sub("<***>", message)
            record.args = None
        return True


def _tame_wechaty_loggers(names: set[str]) -> None:
    """wechaty's get_logger() installs its own stderr handler and disables propagation.

    Route those loggers through the application's logging instead, quieter than INFO
    (wechaty logs every message at INFO), and redact tokens.
    """
    log_filter = _WechatyLogFilter()
    for name in names:
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
        logger.setLevel(logging.WARNING)
        logger.addFilter(log_filter)


_tame_wechaty_loggers(set(logging.Logger.manager.loggerDict) - _loggers_before)
del _loggers_before


def isolate_user_pools(bot: Wechaty) -> None:
    """Give one bot's user classes their own object pools.

    `Wechaty.init_puppet()` creates per-bot subclasses of Contact, Room, Tag…, but they
    inherit the class-level `_pool` dicts of the base classes, so `Room.load(id)` can
    return an object bound to another (or an already stopped) puppet. Call right after
    `init_puppet()`.
    """
    user_classes: tuple[Any, ...] = (bot.Contact, bot.ContactSelf, bot.Room, bot.Tag)
    for cls in user_classes:
        cls._pool = {}


def reset_wechaty_globals() -> None:
    """Clear wechaty's process-global caches so another bot in this process starts clean.

    - `Contact._pool`, `Room._pool`, `Tag._pool`: cached user objects bound to old puppets;
    - `SingleIdContainer`: the message-id set wechaty uses to drop repeated message
      events; a second bot seeing the same ids would silently drop them;
    - `Wechaty._global_instance`: the `Wechaty.instance()` singleton.
    """
    Contact._pool.clear()
    Room._pool.clear()
    Tag._pool.clear()
    SingleIdContainer._instance = None
    Wechaty._global_instance = None


# Keep the imported modules referenced for tools that flag unused imports.
_MODULES = (wechaty, wechaty_puppet_service)
