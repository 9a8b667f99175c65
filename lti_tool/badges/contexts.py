"""The JSON-LD contexts the badges use, kept in the package so that no verifier needs the internet."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_V3_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB_V2_CONTEXT = "https://w3id.org/openbadges/v2"

CONTEXTS_DIR = Path(__file__).resolve().parent / "contexts"

# Canonical context URL -> the file holding a copy of it.
LOCAL_CONTEXT_FILES = {
    OB_V2_CONTEXT: "openbadges-v2.json",
    OB_V3_CONTEXT: "openbadges-v3p0-3.0.3.json",
}


class UnknownContext(LookupError):
    """A context URL that the tool does not keep a copy of."""


@lru_cache(maxsize=None)
def context_text(name: str) -> str:
    """The text of a context file by its file name (as served under /badges/contexts/)."""
    if name not in LOCAL_CONTEXT_FILES.values():
        raise UnknownContext(f"no local context named {name!r}")
    return (CONTEXTS_DIR / name).read_text(encoding="utf-8")


def load_context(url: str) -> dict:
    """The context document published at a canonical `url`, read from the local copy."""
    name = LOCAL_CONTEXT_FILES.get(url.rstrip("/")) or LOCAL_CONTEXT_FILES.get(url)
    if name is None:
        raise UnknownContext(f"no local copy of the JSON-LD context {url}")
    return json.loads(context_text(name))
