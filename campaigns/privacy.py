"""Contacts under the AVG duties: anonymised after the retention period, exported and erased per address.

Registered with `core.privacy` in `app.py`. A contact unsubscribed or bounced longer ago than the
retention period is anonymised; its row and status stay (campaign statistics keep their counts), its
consent records keep date, source and text version but lose the IP address, and its topics, list
memberships and tags go. Its campaign mail copies are anonymised with it.

Contact imports hold personal data in two places: the uploaded file, kept only until the import ends
(or a day, when its columns are never chosen), and the report's example lines (invalid and duplicate
addresses with their line numbers), kept until the retention period has passed since the import.
"""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import undefer

from campaigns.models import (
    STILL_MAILABLE,
    ConsentRecord,
    Contact,
    ContactImport,
    ContactTopic,
    ImportStatus,
    list_memberships,
    tag_memberships,
)
from campaigns.services import bounces, consent, import_jobs, importing
from core.addresses import normalise_email
from core.privacy import ANONYMOUS_NAME, PersonalData, Scope, anonymous_email, is_anonymous
from extensions import db
from mailing.models import BounceReport, OutgoingMessage
from mailing.privacy import anonymise_messages


def anonymise_contacts(*conditions: sa.ColumnElement[bool]) -> int:
    """Replaces the personal fields of the matching contacts and drops their preferences; counts them."""
    pending = sa.select(Contact.id).where(*conditions, ~is_anonymous(Contact.email)).scalar_subquery()
    anonymise_messages(OutgoingMessage.campaign_id.is_not(None), OutgoingMessage.contact_id.in_(pending))
    options = {"synchronize_session": False}
    db.session.execute(sa.update(ConsentRecord).where(ConsentRecord.contact_id.in_(pending))
                       .values(ip_address=None), execution_options=options)
    db.session.execute(sa.delete(ContactTopic).where(ContactTopic.contact_id.in_(pending)), execution_options=options)
    # Bounce evidence quotes the address: it goes; the contact's status keeps what it proved.
    db.session.execute(sa.delete(BounceReport).where(BounceReport.contact_id.in_(pending)), execution_options=options)
    db.session.execute(sa.delete(list_memberships).where(list_memberships.c.contact_id.in_(pending)))
    db.session.execute(sa.delete(tag_memberships).where(tag_memberships.c.contact_id.in_(pending)))
    result = db.session.execute(
        sa.update(Contact).where(*conditions, ~is_anonymous(Contact.email)).values(
            email=anonymous_email(Contact.id), name=ANONYMOUS_NAME, municipality=None, confirm_nonce=None,
        ),
        execution_options=options,
    )
    db.session.expire_all()
    return result.rowcount


def _in_scope(scope: Scope) -> list[sa.ColumnElement[bool]]:
    return [] if scope is None else [Contact.organisation_id.in_(scope)]


def purge(organisation_id: int, cutoff: datetime) -> int:
    return anonymise_contacts(Contact.organisation_id == organisation_id,
                              sa.or_(Contact.unsubscribed_at < cutoff, Contact.bounced_at < cutoff))


def erase(email: str, scope: Scope) -> int:
    """An erasure withdraws consent too: the contact is unsubscribed first (its queued campaign mail
    cancelled), so no campaign is ever addressed to the placeholder it becomes."""
    conditions = (Contact.email == email, *_in_scope(scope))
    for contact in db.session.scalars(sa.select(Contact).where(*conditions, Contact.status.in_(STILL_MAILABLE))):
        consent.unsubscribe(contact)
    return anonymise_contacts(*conditions)


def export(email: str, scope: Scope) -> list[dict[str, Any]]:
    query = sa.select(Contact).where(Contact.email == email, *_in_scope(scope)).order_by(Contact.id)
    return [_exported(contact) for contact in db.session.scalars(query)]


def _when(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _exported(contact: Contact) -> dict[str, Any]:
    return {
        "organisation_id": contact.organisation_id,
        "email": contact.email,
        "name": contact.name,
        "audience": contact.audience.value if contact.audience else None,
        "municipality": contact.municipality,
        "status": contact.status.value,
        "created_at": _when(contact.created_at),
        "confirmed_at": _when(contact.confirmed_at),
        "unsubscribed_at": _when(contact.unsubscribed_at),
        "bounced_at": _when(contact.bounced_at),
        "topics": [topic.value for topic in contact.topic_values],
        "lists": [contact_list.name for contact_list in contact.lists],
        "tags": [tag.name for tag in contact.tags],
        "consents": [{"given_at": _when(consent.given_at), "source": consent.source.value,
                      "text_version": consent.text_version, "ip_address": consent.ip_address}
                     for consent in contact.consents],
        "bounces_and_complaints": [
            {"received_at": _when(report.received_at), "kind": report.kind.value, "status_code": report.status_code,
             "diagnostic": report.diagnostic, "campaign": campaign.name if campaign else None}
            for report, campaign in bounces.reports_for(contact)],
    }


CONTACTS = PersonalData("contacts", purge=purge, export=export, erase=erase)


def purge_imports(organisation_id: int, cutoff: datetime) -> int:
    """Deletes the imports that ended before the cutoff: their reports name addresses from the file."""
    return db.session.execute(
        sa.delete(ContactImport).where(ContactImport.organisation_id == organisation_id, ContactImport.finished_at < cutoff),
        execution_options={"synchronize_session": False},
    ).rowcount


def _import_scope(scope: Scope) -> list[sa.ColumnElement[bool]]:
    return [] if scope is None else [ContactImport.organisation_id.in_(scope)]


def _report_lines(job: ContactImport, email: str) -> list[int]:
    report = job.report or {}
    return [line for line, value in report.get("invalid_lines", []) + report.get("duplicate_lines", [])
            if normalise_email(value) == email]


def _in_file(job: ContactImport, email: str) -> bool:
    if job.data is None:
        return False
    text, _encoding = importing.decode(job.data)
    return re.search(rf"(?<![\w.+-]){re.escape(email)}(?![\w.-])", text, re.IGNORECASE) is not None


def _imports_naming(email: str, scope: Scope) -> list[tuple[ContactImport, list[int], bool]]:
    query = (sa.select(ContactImport).where(*_import_scope(scope)).options(undefer(ContactImport.data))
             .order_by(ContactImport.id))
    found = ((job, _report_lines(job, email), _in_file(job, email)) for job in db.session.scalars(query))
    return [(job, lines, in_file) for job, lines, in_file in found if lines or in_file]


def export_imports(email: str, scope: Scope) -> list[dict[str, Any]]:
    return [{"organisation_id": job.organisation_id, "filename": job.filename, "created_at": _when(job.created_at),
             "report_lines": lines, "in_stored_file": in_file} for job, lines, in_file in _imports_naming(email, scope)]


def erase_imports(email: str, scope: Scope) -> int:
    """Removes the address from import reports; an unfinished import whose file holds it stops, and loses the file."""
    changed = 0
    for job, lines, in_file in _imports_naming(email, scope):
        changed += 1
        if lines:
            report = dict(job.report or {})
            for key in report.keys() & {"invalid_lines", "duplicate_lines"}:
                report[key] = [[line, value] for line, value in report[key] if normalise_email(value) != email]
            job.report = report
        if in_file and job.status == ImportStatus.UPLOADED:
            db.session.delete(job)
        elif in_file:
            import_jobs.stop(job, _("Gestopt: er kwam een verzoek om de gegevens van een adres in dit bestand te wissen."))
    db.session.flush()
    return changed


IMPORTS = PersonalData("contact_imports", purge=purge_imports, export=export_imports, erase=erase_imports)
