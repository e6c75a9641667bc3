"""The plain-text alternative of an HTML mail: its readable text, links spelled out."""
from __future__ import annotations

import re
from html.parser import HTMLParser

SKIPPED = frozenset({"head", "style", "script", "title"})
BREAKS = frozenset({"br", "div", "tr", "table", "td", "th", "section", "ul", "ol", "hr"})
PARAGRAPHS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"})
_HIDDEN = re.compile(r"display\s*:\s*none", re.IGNORECASE)


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping: list[str] = []  # the open tags of a skipped subtree
        self.links: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.skipping:
            if tag == self.skipping[0]:  # the same tag nested: its end tag is not ours
                self.skipping.append(tag)
            return
        attributes = dict(attrs)
        if tag in SKIPPED or _HIDDEN.search(attributes.get("style") or ""):
            self.skipping.append(tag)
        elif tag == "a":
            self.links.append(attributes.get("href"))
            self.parts.append("")  # marks where the link text starts
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag in BREAKS:
            self.parts.append("\n")
        elif tag in PARAGRAPHS:
            self.parts.append("\n\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self.skipping and tag in BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if self.skipping:
            if tag == self.skipping[0]:
                self.skipping.pop()
            return
        if tag == "a" and self.links:
            self._spell_out(self.links.pop())
        elif tag in PARAGRAPHS:
            self.parts.append("\n\n")
        elif tag in BREAKS:
            self.parts.append("\n")

    def _spell_out(self, href: str | None) -> None:
        if not href or href.startswith("#"):
            return
        target = href.removeprefix("mailto:")
        text = _squeeze(self._current_link_text())
        # Angle brackets delimit a URL in plain text (RFC 3986, appendix C): no ")" glued to it.
        self.parts.append(f" <{target}>" if text and text != target else target if not text else "")

    def _current_link_text(self) -> str:
        collected = []
        for part in reversed(self.parts):
            if part == "":
                break
            collected.append(part)
        return "".join(reversed(collected))

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(re.sub(r"\s+", " ", data))

    def text(self) -> str:
        lines = (" ".join(line.split()) for line in "".join(self.parts).split("\n"))
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


def _squeeze(text: str) -> str:
    return " ".join(text.split())


def html_to_text(html: str) -> str:
    """Readable plain text of `html`: blocks on their own lines, each link as `text (address)`."""
    collector = _TextCollector()
    collector.feed(html)
    collector.close()
    return collector.text()
