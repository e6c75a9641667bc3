"""A self-help page and its daily view counter (no cookie, no address: a number per page per day)."""
from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.sql import enum_type
from core.timeutils import UTCDateTime, utcnow
from extensions import db


class PageAudience(enum.StrEnum):
    CITIZENS = "citizens"
    BUSINESSES = "businesses"


class SelfHelpPage(db.Model):
    __tablename__ = "selfhelp_pages"
    __table_args__ = (sa.UniqueConstraint("organisation_id", "slug", name="uq_selfhelp_pages_organisation_slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    slug: Mapped[str] = mapped_column(sa.String(100))
    audience: Mapped[PageAudience] = mapped_column(enum_type(PageAudience, "selfhelp_audience"))
    summary: Mapped[str | None] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text, default="")  # Markdown as the officer wrote it
    published: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class SelfHelpView(db.Model):
    """How often a page was read on one day: the only trace a visit leaves."""

    __tablename__ = "selfhelp_views"

    page_id: Mapped[int] = mapped_column(sa.ForeignKey("selfhelp_pages.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    count: Mapped[int] = mapped_column(default=0)
