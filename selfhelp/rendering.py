"""Markdown to safe HTML: markdown-it-py renders (raw HTML off), nh3 keeps only harmless tags and links."""
from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).disable("image")
ALLOWED_TAGS = {"p", "h2", "h3", "h4", "ul", "ol", "li", "strong", "em", "a", "blockquote", "code", "pre", "br", "hr"}
ALLOWED_ATTRIBUTES = {"a": {"href"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}


def render_markdown(source: str) -> Markup:
    """The page body as HTML a page may show: no script, no event attribute, no `javascript:` link.

    Raw HTML in the source is shown as text (markdown-it), and whatever the renderer makes is
    cleaned again (nh3), so a renderer bug cannot open a hole either. A `#` heading becomes `h2`:
    the page's title is its only `h1`."""
    html = _markdown.render(_shift_headings(source or ""))
    cleaned = nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES,
                        link_rel="noopener noreferrer")
    return Markup(cleaned)


def _shift_headings(source: str) -> str:
    return "\n".join("#" + line if line.startswith("# ") else line for line in source.splitlines())
