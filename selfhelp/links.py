"""Absolute links to an organisation's self-help pages, for the mails of the features above (events, campaigns)."""
from __future__ import annotations

from accounts.models import Organisation
from core.links import absolute_url
from selfhelp.labels import AUDIENCE_LABELS
from selfhelp.services import has_published_pages, published_pages


def list_url(organisation: Organisation) -> str | None:
    """The organisation's self-help list; None while it has no published page (then a mail shows no link)."""
    if not has_published_pages(organisation.id):
        return None
    return absolute_url("selfhelp.listing", organisation_slug=organisation.slug)


def page_links(organisation: Organisation) -> list[dict[str, str]]:
    """Each published page as a campaign template sees it: title, audience and link."""
    return [
        {"title": page.title, "audience": str(AUDIENCE_LABELS[audience.value]),
         "url": absolute_url("selfhelp.page", organisation_slug=organisation.slug, page_slug=page.slug)}
        for audience, pages in published_pages(organisation.id).items() for page in pages
    ]
