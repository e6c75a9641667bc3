"""The audit log of admin access to personal data.

A view that shows or changes personal data calls `record()` in one line. The entry joins the
request's unit of work (`core.db`): it is committed with the request's answer when that is a success,
and a refused or failed request (a 4xx, an exception, a 500) leaves no entry.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from flask import has_request_context, request
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import InstrumentedAttribute, Mapped, joinedload, mapped_column, relationship
from user_agents import parse as parse_user_agent

from core.paging import page_of
from core.timeutils import UTCDateTime, utcnow
from extensions import db

PAGE_SIZE = 50
USER_AGENT_LENGTH = 200
# Keys whose values never enter the log, at any depth of `details`.
SECRET_KEY = re.compile(r"token|password|passwd|secret|totp|recovery|code|csrf", re.IGNORECASE)
FILTERED = "[weggelaten]"


class AuditEntry(db.Model):
    """One admin action on personal data: who, what, which record, where, when and from where.

    The actor's email is copied, so the entry still says who it was after the account is gone.
    `details` never holds secrets: `record` strips them before they get here.
    """

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    user_email: Mapped[str] = mapped_column(sa.String(254))
    action: Mapped[str] = mapped_column(sa.String(100))
    record_type: Mapped[str | None] = mapped_column(sa.String(50))
    record_id: Mapped[int | None] = mapped_column()
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="SET NULL")
    )
    ip_address: Mapped[str | None] = mapped_column(sa.String(45))
    user_agent: Mapped[str | None] = mapped_column(sa.String(200))
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)

    organisation: Mapped[Any] = relationship("Organisation")  # accounts.models.Organisation, by name

    __table_args__ = (
        sa.Index("ix_audit_entries_organisation_created", "organisation_id", "created_at"),
    )


def without_secrets(details: Any) -> Any:
    """`details` with the value of every secret-looking key replaced, in nested dicts and lists too."""
    if isinstance(details, dict):
        return {str(key): FILTERED if SECRET_KEY.search(str(key)) else without_secrets(value)
                for key, value in details.items()}
    if isinstance(details, list | tuple):
        return [without_secrets(value) for value in details]
    return details


def record(action: str, record_type: str | None = None, record_id: int | None = None, *,
           organisation_id: int | None = None, **details: Any) -> AuditEntry:
    """Adds an entry for the signed-in user's `action` on (`record_type`, `record_id`); flushes, never commits."""
    entry = AuditEntry(
        user_id=current_user.id,
        user_email=current_user.email,
        action=action,
        record_type=record_type,
        record_id=record_id,
        organisation_id=organisation_id,
        details=without_secrets(details),
        **_origin(),
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def _origin() -> dict[str, str | None]:
    if not has_request_context():
        return {"ip_address": None, "user_agent": None}
    return {"ip_address": request.remote_addr,
            "user_agent": (request.user_agent.string or "")[:USER_AGENT_LENGTH] or None}


@dataclass(frozen=True)
class AuditFilters:
    organisation_ids: list[int] | None  # None: every entry, the system's ones too (regional admin)
    organisation_id: int | None = None
    action: str | None = None
    user_email: str | None = None
    record_type: str | None = None
    record_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


def _conditions(filters: AuditFilters) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = []
    if filters.organisation_ids is not None:
        conditions.append(AuditEntry.organisation_id.in_(filters.organisation_ids))
    if filters.organisation_id is not None:
        conditions.append(AuditEntry.organisation_id == filters.organisation_id)
    if filters.action:
        conditions.append(AuditEntry.action == filters.action)
    if filters.user_email:
        conditions.append(AuditEntry.user_email.contains(filters.user_email.lower(), autoescape=True))
    if filters.record_type:
        conditions.append(AuditEntry.record_type == filters.record_type)
    if filters.record_id is not None:
        conditions.append(AuditEntry.record_id == filters.record_id)
    if filters.since is not None:
        conditions.append(AuditEntry.created_at >= filters.since)
    if filters.until is not None:
        conditions.append(AuditEntry.created_at < filters.until)
    return conditions


def entries_page(filters: AuditFilters, page: int) -> tuple[list[AuditEntry], int]:
    """One page of entries, newest first, and the total: two queries however many entries there are."""
    conditions = _conditions(filters)
    total = db.session.scalar(sa.select(sa.func.count(AuditEntry.id)).where(*conditions)) or 0
    query = (sa.select(AuditEntry).where(*conditions).options(joinedload(AuditEntry.organisation))
             .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc()))
    return list(db.session.scalars(page_of(query, page, PAGE_SIZE))), total


def values_used(column: InstrumentedAttribute[str | None], organisation_ids: list[int] | None) -> list[str]:
    """The distinct actions or record types in the log, for the filter choices."""
    query = sa.select(column).where(column.is_not(None)).distinct().order_by(column)
    if organisation_ids is not None:
        query = query.where(AuditEntry.organisation_id.in_(organisation_ids))
    return list(db.session.scalars(query))


# The actions as people read them. An action not listed (added later) shows as its code.
ACTION_LABELS: dict[str, LazyString] = {
    "registrations.viewed": _l("Aanmeldingen bekeken"),
    "registrations.searched": _l("Aanmeldingen doorzocht"),
    "registrations.exported": _l("Aanmeldingen geëxporteerd"),
    "registration.added": _l("Aanmelding toegevoegd"),
    "registration.cancelled": _l("Aanmelding geannuleerd"),
    "registration.walked_in": _l("Binnenloper ingeschreven"),
    "contact.viewed": _l("Contact bekeken"),
    "contact.updated": _l("Contact gewijzigd"),
    "contact.erased": _l("Contact gewist"),
    "contact.unsubscribed": _l("Contact afgemeld"),
    "contact.confirmation_resent": _l("Bevestigingsmail opnieuw gestuurd"),
    "contacts.exported": _l("Contactlijst geëxporteerd"),
    "contacts.import_previewed": _l("Import bekeken (kolommen)"),
    "contacts.import_report_viewed": _l("Importverslag bekeken"),
    "contacts.imported": _l("Contacten geïmporteerd"),
    "contacts.listed": _l("Contacten op een lijst gezet"),
    "contacts.unlisted": _l("Contacten van een lijst gehaald"),
    "contacts.tagged": _l("Label aan contacten gegeven"),
    "contacts.untagged": _l("Label bij contacten weggehaald"),
    "campaign.delivery_viewed": _l("Bezorging van een campagne bekeken"),
    "campaign.delivery_exported": _l("Bezorging van een campagne geëxporteerd"),
    "mail.viewed": _l("E-mail bekeken"),
    "mail.html_viewed": _l("Opmaak van een e-mail bekeken"),
    "mail.attachment_downloaded": _l("Bijlage van een e-mail gedownload"),
    "member.invited": _l("Gebruiker uitgenodigd"),
    "member.removed": _l("Gebruiker verwijderd"),
    "member.role_changed": _l("Rol van een gebruiker gewijzigd"),
    "personal_data.exported": _l("Persoonsgegevens geëxporteerd (inzageverzoek)"),
    "personal_data.erased": _l("Persoonsgegevens gewist (verwijderverzoek)"),
}


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


@lru_cache(maxsize=512)
def short_user_agent(user_agent: str | None) -> str:
    """"Firefox 133 op Windows 10" instead of the whole header (parsed by ua-parser's rules)."""
    if not user_agent:
        return ""
    parsed = parse_user_agent(user_agent)
    browser = " ".join(part for part in (parsed.browser.family, parsed.browser.version_string.split(".")[0]) if part)
    system = " ".join(part for part in (parsed.os.family, parsed.os.version_string) if part)
    if parsed.os.family == "Other":
        return browser if parsed.browser.family != "Other" else _("Onbekend programma")
    return _("%(browser)s op %(system)s", browser=browser, system=system)


@dataclass(frozen=True)
class Described:
    title: str
    url: str | None = None


# Per record type: its name and how to find the titles and links of a page of records. Features
# register theirs at start-up (app.py): core knows no feature tables.
Describer = Callable[[Collection[int]], dict[int, Described]]
_record_kinds: dict[str, tuple[LazyString, Describer]] = {}


def register_record_kind(record_type: str, label: LazyString, describe: Describer) -> None:
    _record_kinds[record_type] = (label, describe)


def record_kind_label(record_type: str) -> str:
    kind = _record_kinds.get(record_type)
    return str(kind[0]) if kind else record_type


def describe_records(entries: Iterable[AuditEntry]) -> dict[tuple[str, int], Described]:
    """The title and link of each entry's record: one query per record type on the page."""
    wanted: dict[str, set[int]] = {}
    for entry in entries:
        if entry.record_type in _record_kinds and entry.record_id is not None:
            wanted.setdefault(entry.record_type, set()).add(entry.record_id)
    found = {}
    for record_type, ids in wanted.items():
        for record_id, described in _record_kinds[record_type][1](ids).items():
            found[(record_type, record_id)] = described
    return found
