"""Reading and writing the auto-submitting HTML forms Moodle uses to move a browser between sites."""

from __future__ import annotations

import html
from html.parser import HTMLParser


class _FirstFormReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.action: str | None = None
        self.fields: dict[str, str] = {}
        self._inside_form = False
        self._done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._done:
            return
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form" and self.action is None:
            self.action = attributes.get("action", "")
            self._inside_form = True
        elif tag == "input" and self._inside_form and attributes.get("name"):
            self.fields[attributes["name"]] = attributes.get("value", "")

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._inside_form:
            self._inside_form = False
            self._done = True


def parse_autopost(page: str) -> tuple[str, dict[str, str]]:
    """The action URL and the named input fields of the first form in `page`.

    Raises ValueError when the page has no form (for example Moodle's error page).
    """
    reader = _FirstFormReader()
    reader.feed(page)
    reader.close()
    if reader.action is None:
        raise ValueError("the page has no form to submit: " + " ".join(page.split())[:200])
    return reader.action, reader.fields


def autopost_page(action: str, fields: dict[str, str], form_name: str = "ltiAuthForm") -> str:
    """An HTML page that POSTs `fields` to `action` as soon as a browser loads it (Moodle's markup)."""
    inputs = "".join(
        f'  <input type="hidden" name="{html.escape(name)}" value="{html.escape(value)}"/>\n'
        for name, value in fields.items()
    )
    return (
        f'<form action="{html.escape(action)}" name="{form_name}" id="{form_name}" '
        'method="post" enctype="application/x-www-form-urlencoded">\n'
        f"{inputs}</form>\n"
        '<script type="text/javascript">\n//<![CDATA[\n'
        f"document.{form_name}.submit();\n//]]>\n</script>\n"
    )
