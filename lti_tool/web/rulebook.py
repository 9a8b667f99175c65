"""The rule book the pages evaluate with: loaded once per process (per rules directory), never per request."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

from flask import current_app

from .. import engine

_loaded: dict[str, engine.RuleBook] = {}
_lock = threading.Lock()


def rulebook_for(rules_dir: Path | str) -> engine.RuleBook:
    """The rule book of `rules_dir`, loaded the first time it is asked for."""
    key = str(Path(rules_dir).resolve())
    book = _loaded.get(key)
    if book is None:
        with _lock:
            book = _loaded.get(key)
            if book is None:
                book = engine.load_rulebook(key)
                _loaded[key] = book
    return book


def current_rulebook() -> engine.RuleBook:
    """The rule book of the running app's RULES_DIR."""
    return rulebook_for(current_app.config["RULES_DIR"])


def today() -> dt.date:
    """The day pages evaluate progress on."""
    return dt.date.today()
