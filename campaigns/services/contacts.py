"""Contacts and lists: finding, creating and listing them within one organisation."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from campaigns.models import Contact, ContactStatus, list_memberships, tag_memberships
from core.addresses import normalise_email
from core.paging import capped_total_of, page_of
from extensions import db

PAGE_SIZE = 50
# The contacts page counts its matches (and each status) up to here and shows "more than" beyond: an
# exact count of a million rows takes about a second, a capped one reads at most this many index entries.
COUNT_CAP = 10_000


class ContactError(Exception):
    """Refused; `str(error)` is a Dutch message."""


# A local part of plain ASCII letters, digits and _+- in dot-separated words: a subset of what
# email_validator accepts (its dot-atom), so an address whose local part matches is valid exactly
# when its domain is. Everything else (quoted, unusual characters, non-ASCII) goes to email_validator whole.
PLAIN_LOCAL_PART = re.compile(r"[a-z0-9_+-]+(?:\.[a-z0-9_+-]+)*")
MAX_LOCAL_PART = 64
DOMAIN_CACHE = 4096


def valid_email(email: str) -> str | None:
    """The normalised address, or None when it is not a usable address (line breaks included)."""
    address = normalise_email(email)
    if not address or any(c in address for c in "\r\n\t ") or len(address) > 254:
        return None
    local, at, domain = address.rpartition("@")
    if at and len(local) <= MAX_LOCAL_PART and PLAIN_LOCAL_PART.fullmatch(local) and domain.isascii():
        # The domain check is two thirds of email_validator's time, and an import has few domains.
        return address if _valid_domain(domain) else None
    return address if _valid_by_email_validator(address) else None


@lru_cache(maxsize=DOMAIN_CACHE)
def _valid_domain(domain: str) -> bool:
    return _valid_by_email_validator(f"a@{domain}")


def _valid_by_email_validator(address: str) -> bool:
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def find_contact(organisation_id: int, email: str) -> Contact | None:
    return db.session.scalar(
        sa.select(Contact).where(Contact.organisation_id == organisation_id, Contact.email == normalise_email(email))
    )


def get_or_create_contact(organisation_id: int, email: str, name: str | None = None) -> Contact:
    """The organisation's contact for `email`; a new one is unconfirmed. Safe against a parallel insert."""
    contact = find_contact(organisation_id, email)
    if contact is None:
        contact = Contact(organisation_id=organisation_id, email=normalise_email(email), name=name,
                          status=ContactStatus.UNCONFIRMED)
        try:
            with db.session.begin_nested():
                db.session.add(contact)
        except IntegrityError:
            contact = find_contact(organisation_id, email)
            if contact is None:
                raise
    if name and not contact.name:
        contact.name = name
    return contact


@dataclass(frozen=True)
class ContactFilters:
    search: str | None = None
    status: ContactStatus | None = None
    list_id: int | None = None
    tag_id: int | None = None


def in_group(memberships: sa.Table, group_column: str, group_id: int) -> sa.ColumnElement[bool]:
    """The contact is a member of the list or tag `group_id`; `memberships` is that kind's table."""
    return sa.exists().where(memberships.c.contact_id == Contact.id, memberships.c[group_column] == group_id)


def filter_conditions(organisation_id: int, filters: ContactFilters) -> list[sa.ColumnElement[bool]]:
    """The organisation's contacts that the contacts page shows for `filters` (also what a bulk action changes)."""
    where = [Contact.organisation_id == organisation_id]
    if filters.search:
        needle = filters.search.lower()
        where.append(sa.or_(Contact.email.contains(needle, autoescape=True),
                            sa.func.lower(Contact.name).contains(needle, autoescape=True)))
    if filters.status:
        where.append(Contact.status == filters.status)
    if filters.list_id:
        where.append(in_group(list_memberships, "list_id", filters.list_id))
    if filters.tag_id:
        where.append(in_group(tag_memberships, "tag_id", filters.tag_id))
    return where


def count_cap(page: int) -> int:
    """Up to where the contacts page counts on `page`: at least to its own last row, so "next" works."""
    return max(COUNT_CAP, page * PAGE_SIZE)


def contact_page(organisation_id: int, filters: ContactFilters, page: int = 1) -> tuple[list[Contact], int]:
    """The `page`-th page of matches and their number, counted up to `count_cap(page)` + 1 (above it: more)."""
    query = sa.select(Contact).where(*filter_conditions(organisation_id, filters))
    ordered = query.options(selectinload(Contact.tags)).order_by(Contact.email)
    return list(db.session.scalars(page_of(ordered, page, PAGE_SIZE))), capped_total_of(query, count_cap(page))


def status_counts(organisation_id: int) -> dict[ContactStatus, int]:
    """Contacts per status, each counted up to COUNT_CAP + 1 (above it: more), on the index by status."""
    def counted(status: ContactStatus) -> int:
        query = sa.select(Contact.id).where(Contact.organisation_id == organisation_id, Contact.status == status)
        return capped_total_of(query, COUNT_CAP)

    return {status: counted(status) for status in ContactStatus}
