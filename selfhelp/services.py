"""Self-help pages: write, publish, read and count. Plain values in, `SelfHelpError` out; flush, never commit."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.dialects import postgresql, sqlite

from accounts.models import Organisation
from core.slugs import first_free, same_or_numbered, slugify
from core.timeutils import to_local, utcnow
from extensions import db
from selfhelp.models import PageAudience, SelfHelpPage, SelfHelpView

SLUG_LENGTH = 100


class SelfHelpError(Exception):
    """A change to a self-help page that cannot be made (the message says why, in Dutch)."""


@dataclass(frozen=True)
class PageData:
    title: str
    audience: PageAudience
    summary: str | None
    body: str
    published: bool


@dataclass(frozen=True)
class PageViews:
    page_id: int
    title: str
    organisation_name: str
    views: int


def create_page(organisation_id: int, data: PageData) -> SelfHelpPage:
    page = SelfHelpPage(organisation_id=organisation_id, slug=_unique_slug(organisation_id, data.title))
    _apply(page, data)
    db.session.add(page)
    db.session.flush()
    return page


def update_page(page: SelfHelpPage, data: PageData) -> SelfHelpPage:
    """Saves the page; its address (slug) stays, so links already in mails keep working."""
    _apply(page, data)
    db.session.flush()
    return page


def delete_page(page: SelfHelpPage) -> None:
    """The page and its counts (said here too: SQLite does not always enforce ON DELETE CASCADE)."""
    db.session.execute(sa.delete(SelfHelpView).where(SelfHelpView.page_id == page.id))
    db.session.delete(page)
    db.session.flush()


def _apply(page: SelfHelpPage, data: PageData) -> None:
    if not data.title.strip():
        raise SelfHelpError(_("Geef de pagina een titel."))
    page.title, page.audience, page.summary = data.title.strip(), data.audience, data.summary or None
    page.body, page.published = data.body, data.published


def _unique_slug(organisation_id: int, title: str) -> str:
    base = slugify(title, fallback="pagina", max_length=SLUG_LENGTH - 4)
    taken = set(db.session.scalars(sa.select(SelfHelpPage.slug).where(
        SelfHelpPage.organisation_id == organisation_id, same_or_numbered(SelfHelpPage.slug, base))))
    return first_free(base, taken)


def pages_of(organisation_ids: list[int]) -> list[SelfHelpPage]:
    """Every page (drafts too) of these organisations, for the admin list."""
    query = (sa.select(SelfHelpPage).where(SelfHelpPage.organisation_id.in_(organisation_ids))
             .order_by(SelfHelpPage.audience, SelfHelpPage.title))
    return list(db.session.scalars(query))


def published_pages(organisation_id: int) -> dict[PageAudience, list[SelfHelpPage]]:
    """The published pages of one organisation, grouped by audience (citizens first)."""
    query = (sa.select(SelfHelpPage).where(SelfHelpPage.organisation_id == organisation_id, SelfHelpPage.published)
             .order_by(SelfHelpPage.title))
    grouped: dict[PageAudience, list[SelfHelpPage]] = {audience: [] for audience in PageAudience}
    for page in db.session.scalars(query):
        grouped[page.audience].append(page)
    return {audience: pages for audience, pages in grouped.items() if pages}


def has_published_pages(organisation_id: int) -> bool:
    """For the footer of event mails: a link to the list only when there is something on it."""
    query = sa.select(SelfHelpPage.id).where(SelfHelpPage.organisation_id == organisation_id,
                                             SelfHelpPage.published).limit(1)
    return db.session.scalar(query) is not None


def published_page(organisation_slug: str, page_slug: str) -> tuple[Organisation, SelfHelpPage] | None:
    query = (sa.select(Organisation, SelfHelpPage).join(SelfHelpPage, SelfHelpPage.organisation_id == Organisation.id)
             .where(Organisation.slug == organisation_slug, SelfHelpPage.slug == page_slug, SelfHelpPage.published))
    row = db.session.execute(query).first()
    return (row[0], row[1]) if row else None


def count_view(page_id: int, day: date | None = None) -> None:
    """One more reading of the page today (Amsterdam's day). Nothing about the reader is kept.

    An upsert, so two readers at the same moment both count and never collide on the day's row."""
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(SelfHelpView).values(page_id=page_id, day=day or to_local(utcnow()).date(), count=1)
    statement = statement.on_conflict_do_update(index_elements=["page_id", "day"],
                                                set_={"count": SelfHelpView.count + 1})
    db.session.execute(statement)


def views_per_page(organisation_ids: list[int], start: date, end: date) -> list[PageViews]:
    """Readings per page in [start, end), most read first; pages without readings are left out."""
    total = sa.func.sum(SelfHelpView.count)
    query = (sa.select(SelfHelpPage.id, SelfHelpPage.title, Organisation.name, total)
             .join(SelfHelpView, SelfHelpView.page_id == SelfHelpPage.id)
             .join(Organisation, Organisation.id == SelfHelpPage.organisation_id)
             .where(SelfHelpPage.organisation_id.in_(organisation_ids), SelfHelpView.day >= start, SelfHelpView.day < end)
             .group_by(SelfHelpPage.id, SelfHelpPage.title, Organisation.name)
             .order_by(total.desc(), SelfHelpPage.title))
    return [PageViews(page_id, title, name, int(views)) for page_id, title, name, views in db.session.execute(query)]
