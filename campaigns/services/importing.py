"""CSV import and export of contacts.

An import reads the whole file (the upload limit, MAX_CONTENT_LENGTH, bounds it), maps its
columns, and writes in bulk, CHUNK_SIZE rows at a time (`import_jobs` commits each chunk). A row
counts as proof of consent only when its consent column says so; without it the contact is stored
unconfirmed and receives nothing until it confirms. An address that unsubscribed or bounced stays
so: only a new double opt-in brings it back.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from campaigns.models import ConsentRecord, ConsentSource, Contact, ContactAudience, ContactStatus, list_memberships
from campaigns.services.contacts import valid_email
from core.csvutils import BOM, csv_line
from core.sql import insert_rows
from core.timeutils import utcnow
from extensions import db

CHUNK_SIZE = 1000
MAX_COLUMNS = 200
PREVIEW_ROWS = 5
REPORT_EXAMPLES = 20
DELIMITERS = ",;\t"
CONSENT_YES = frozenset({"ja", "j", "yes", "y", "1", "true", "waar", "x"})
AUDIENCE_WORDS = {
    "inwoner": ContactAudience.CITIZEN, "burger": ContactAudience.CITIZEN, "citizen": ContactAudience.CITIZEN,
    "ondernemer": ContactAudience.SME, "mkb": ContactAudience.SME, "sme": ContactAudience.SME,
}
WITHDRAWN = (ContactStatus.UNSUBSCRIBED, ContactStatus.BOUNCED, ContactStatus.COMPLAINED)
FIELDS = ("email", "name", "audience", "municipality", "consent")


class ImportFileError(Exception):
    """The file cannot be read as CSV; `str(error)` is a Dutch message."""


@dataclass(frozen=True)
class ParsedFile:
    header: list[str]
    rows: list[list[str]]
    encoding: str
    delimiter: str


@dataclass
class ImportReport:
    """The outcome of an import so far; the lines are the first REPORT_EXAMPLES invalid and duplicate ones."""

    created: int = 0
    existing: int = 0
    subscribed: int = 0
    unconfirmed: int = 0
    withdrawn_kept: int = 0
    without_consent: int = 0
    invalid: int = 0
    duplicates: int = 0
    invalid_lines: list[tuple[int, str]] = field(default_factory=list)
    duplicate_lines: list[tuple[int, str]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> ImportReport:
        report = cls(**(data or {}))
        report.invalid_lines = [(line, value) for line, value in report.invalid_lines]
        report.duplicate_lines = [(line, value) for line, value in report.duplicate_lines]
        return report

    def add_invalid(self, line: int, value: str) -> None:
        self.invalid += 1
        if len(self.invalid_lines) < REPORT_EXAMPLES:
            self.invalid_lines.append((line, value[:80]))

    def add_duplicate(self, line: int, address: str) -> None:
        self.duplicates += 1
        if len(self.duplicate_lines) < REPORT_EXAMPLES:
            self.duplicate_lines.append((line, address))


@dataclass
class RowWriter:
    """Writes an import's rows chunk by chunk; what it learns (known and seen addresses, the report)
    carries from one chunk to the next. Make one with `row_writer`."""

    organisation_id: int
    mapping: dict[str, int | None]
    text_version: str
    list_id: int | None
    report: ImportReport
    # The organisation's addresses -> (contact id, status), growing with every chunk.
    known: dict[str, tuple[int, ContactStatus]]
    # The valid addresses of the file's rows written so far: a later row with one is a duplicate.
    seen: set[str]

    def write(self, rows: list[list[str]], first_line: int) -> None:
        """Validates and writes `rows` (the file's line `first_line` onwards); flushes, never commits."""
        wanted = self._wanted(rows, first_line)
        contact_ids = _import_chunk(self.organisation_id, wanted, self.report, self.known, self.text_version)
        if self.list_id is not None and contact_ids:
            insert_rows(list_memberships, [{"list_id": self.list_id, "contact_id": contact_id}
                                           for contact_id in contact_ids], "list_id", "contact_id")

    def _wanted(self, rows: list[list[str]], first_line: int) -> dict[str, dict[str, object]]:
        wanted: dict[str, dict[str, object]] = {}
        for number, row in enumerate(rows, start=first_line):
            raw = _cell(row, self.mapping["email"])
            address = valid_email(raw)
            if address is None:
                self.report.add_invalid(number, raw)
                continue
            if address in self.seen:
                self.report.add_duplicate(number, address)
                continue
            self.seen.add(address)
            consent = _cell(row, self.mapping.get("consent")).lower() in CONSENT_YES
            self.report.without_consent += not consent
            wanted[address] = {
                "name": " ".join(_cell(row, self.mapping.get("name")).split())[:200] or None,
                "audience": AUDIENCE_WORDS.get(_cell(row, self.mapping.get("audience")).lower()),
                "municipality": " ".join(_cell(row, self.mapping.get("municipality")).split())[:100] or None,
                "consent": consent,
            }
        return wanted


def decode(data: bytes) -> tuple[str, str]:
    """The text and its encoding: UTF-8 (with or without BOM), else Windows-1252 (Excel)."""
    try:
        return data.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError as error:
        raise ImportFileError(_("Het bestand is geen tekst in UTF-8 of Windows-1252.")) from error


def parse(data: bytes) -> ParsedFile:
    text, encoding = decode(data)
    if "\x00" in text:
        raise ImportFileError(_("Het bestand bevat ongeldige tekens; is het wel een CSV-bestand?"))
    first_line = text.split("\n", 1)[0]
    delimiter = max(DELIMITERS, key=first_line.count)
    try:
        records = list(_records(text, delimiter))
    except csv.Error as error:
        raise ImportFileError(_("Het bestand is geen geldige CSV: %(error)s", error=str(error))) from error
    if len(records) < 2:
        raise ImportFileError(_("Het bestand heeft geen kopregel met gegevens eronder."))
    header = [cell.strip() for cell in records[0]]
    return ParsedFile(header=header, rows=records[1:], encoding=encoding, delimiter=delimiter)


def _records(text: str, delimiter: str) -> Iterator[list[str]]:
    """The non-empty rows; refuses the file at the first row with more than MAX_COLUMNS cells, before
    the rows after it are read (a file of a million columns would make every page that shows its
    columns megabytes long)."""
    for number, row in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True), 1):
        if len(row) > MAX_COLUMNS:
            raise ImportFileError(_("Regel %(line)s heeft %(count)s kolommen; een importbestand mag er hoogstens "
                                    "%(max)s hebben.", line=number, count=len(row), max=MAX_COLUMNS))
        if any(cell.strip() for cell in row):
            yield row


def guess_mapping(header: list[str]) -> dict[str, int | None]:
    """A first guess of which column holds which field, from the column names."""
    hints = {
        "email": ("e-mail", "email", "mail"), "name": ("naam", "name"), "audience": ("doelgroep", "audience", "type"),
        "municipality": ("gemeente", "woonplaats", "plaats", "municipality"),
        "consent": ("toestemming", "consent", "opt-in", "optin"),
    }
    mapping: dict[str, int | None] = {}
    for name, words in hints.items():
        mapping[name] = next((i for i, column in enumerate(header) if any(w in column.lower() for w in words)), None)
    return mapping


def _cell(row: list[str], index: int | None) -> str:
    return row[index].strip() if index is not None and index < len(row) else ""


def row_writer(organisation_id: int, mapping: dict[str, int | None], source_name: str, list_id: int | None,
               report: ImportReport, rows_done: list[list[str]]) -> RowWriter:
    """A writer for an import that has already written `rows_done` (none for a new import) with `report`."""
    # The organisation's addresses, read once: a lookup per chunk would be planned on the table's
    # statistics from before the import and turn into a sequential scan per chunk (quadratic).
    known = {email: (contact_id, status) for contact_id, email, status in db.session.execute(
        sa.select(Contact.id, Contact.email, Contact.status).where(Contact.organisation_id == organisation_id))}
    seen = {address for row in rows_done if (address := valid_email(_cell(row, mapping["email"])))}
    return RowWriter(organisation_id, mapping, f"import: {source_name}"[:40], list_id, report, known, seen)


def _import_chunk(organisation_id: int, wanted: dict[str, dict[str, object]], report: ImportReport,
                  known: dict[str, tuple[int, ContactStatus]], text_version: str) -> list[int]:
    """Writes one chunk; returns the ids of its contacts. `known` (address -> id, status) grows."""
    table = Contact.__table__
    now = utcnow()
    new_rows = [
        {"organisation_id": organisation_id, "email": address, "name": values["name"], "audience": values["audience"],
         "municipality": values["municipality"], "created_at": now,
         "status": ContactStatus.SUBSCRIBED if values["consent"] else ContactStatus.UNCONFIRMED,
         "confirmed_at": now if values["consent"] else None}
        for address, values in wanted.items() if address not in known
    ]
    created = _insert_new(organisation_id, new_rows, known)
    new_rows = [row for row in new_rows if row["email"] in created]
    existing = {address: known[address] for address in wanted if address not in created}
    report.created += len(new_rows)
    report.existing += len(existing)
    report.withdrawn_kept += sum(1 for _id, status in existing.values() if status in WITHDRAWN)
    report.unconfirmed += sum(1 for row in new_rows if row["status"] == ContactStatus.UNCONFIRMED)
    consent_now = [address for address, values in wanted.items() if values["consent"]
                   and existing.get(address, (0, ContactStatus.UNCONFIRMED))[1] == ContactStatus.UNCONFIRMED]
    upgraded = [known[address][0] for address in consent_now if address in existing]
    if upgraded:
        db.session.execute(sa.update(table).where(table.c.id.in_(upgraded))
                           .values(status=ContactStatus.SUBSCRIBED, confirmed_at=now))
    if consent_now:
        insert_rows(ConsentRecord.__table__, [
            {"contact_id": known[address][0], "given_at": now, "text_version": text_version,
             "source": ConsentSource.IMPORT, "ip_address": None} for address in consent_now])
    report.subscribed += len(consent_now)
    return [known[address][0] for address in wanted]


def _insert_new(organisation_id: int, new_rows: list[dict[str, object]],
                known: dict[str, tuple[int, ContactStatus]]) -> set[str]:
    """Inserts the new contacts and returns the addresses inserted. One that another request added
    since the import read the organisation's addresses (the subscribe form) is left as it is and
    read back: it counts as existing, instead of failing the import on the unique address."""
    if not new_rows:
        return set()
    table = Contact.__table__
    inserted = {email: (contact_id, status) for contact_id, email, status in insert_rows(
        table, new_rows, "organisation_id", "email", returning=(table.c.id, table.c.email, table.c.status))}
    known.update(inserted)
    raced = [row["email"] for row in new_rows if row["email"] not in inserted]
    if raced:
        known.update({email: (contact_id, status) for contact_id, email, status in db.session.execute(
            sa.select(Contact.id, Contact.email, Contact.status)
            .where(Contact.organisation_id == organisation_id, Contact.email.in_(raced)))})
    return set(inserted)


EXPORT_HEADER = ["email", "naam", "doelgroep", "gemeente", "status", "bevestigd_op"]


def export_rows(organisation_id: int, list_id: int) -> Iterator[str]:
    """The list as CSV for Dutch Excel (like the registrations export), streamed in chunks.

    Its header names are the ones `guess_mapping` recognises, so an export imports again as it is."""
    yield BOM + csv_line(EXPORT_HEADER)
    query = (
        sa.select(Contact.email, Contact.name, Contact.audience, Contact.municipality, Contact.status,
                  Contact.confirmed_at)
        .join(list_memberships, list_memberships.c.contact_id == Contact.id)
        .where(list_memberships.c.list_id == list_id, Contact.organisation_id == organisation_id)
        .order_by(Contact.email)
    )
    for row in db.session.execute(query.execution_options(yield_per=CHUNK_SIZE)):
        yield csv_line([row.email, row.name or "", row.audience or "", row.municipality or "", row.status,
                         row.confirmed_at.isoformat() if row.confirmed_at else ""])
