"""The rule book the running tool uses: loaded once per process and reloaded when a rule file changes.

Pages, jobs and badges all read the rules through here, never per request from disk. Rule files are
checked for changes at most every few seconds; a broken edit keeps the last good rule book in use
(and `lti-tool rules validate` names the problem).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import current_app

from . import engine

RECHECK_SECONDS = 5.0

log = logging.getLogger(__name__)


class _Loaded:
    def __init__(self, book: engine.RuleBook, stamp: float, checked_at: float) -> None:
        self.book, self.stamp, self.checked_at = book, stamp, checked_at


_loaded: dict[str, _Loaded] = {}
_lock = threading.Lock()


def _newest_change(root: Path) -> float:
    newest = 0.0
    for directory, _dirs, files in os.walk(root):
        for name in files:
            if name.endswith((".yaml", ".yml")):
                newest = max(newest, os.stat(os.path.join(directory, name)).st_mtime)
    return newest


def rulebook_for(rules_dir: Path | str) -> engine.RuleBook:
    """The rule book of `rules_dir`: loaded the first time, reloaded when its files change."""
    root = Path(rules_dir).resolve()
    key = str(root)
    now = time.monotonic()
    loaded = _loaded.get(key)
    if loaded is not None and now - loaded.checked_at < RECHECK_SECONDS:
        return loaded.book
    with _lock:
        loaded = _loaded.get(key)
        stamp = _newest_change(root) if root.is_dir() else 0.0
        if loaded is not None and loaded.stamp == stamp:
            loaded.checked_at = now
            return loaded.book
        try:
            book = engine.load_rulebook(root)
        except engine.RulesError as exc:
            if loaded is None:
                raise
            log.error("rule files changed but do not load; keeping the previous rules: %s", "; ".join(exc.errors))
            loaded.checked_at = now
            return loaded.book
        _loaded[key] = _Loaded(book, stamp, now)
        return book


def current_rulebook() -> engine.RuleBook:
    """The rule book of the running app's RULES_DIR."""
    return rulebook_for(current_app.config["RULES_DIR"])


def today() -> dt.date:
    """Today in the tool's time zone (TOOL_TIMEZONE): the day progress is evaluated on."""
    return local_today(current_app.config["TOOL_TIMEZONE"])


def local_today(zone: str) -> dt.date:
    """Today's date in the time zone `zone` (an IANA name such as America/New_York)."""
    return dt.datetime.now(ZoneInfo(zone)).date()
