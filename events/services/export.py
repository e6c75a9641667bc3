"""The registrations of one event (the attendance list) as CSV and XLSX, both streamed.

CSV for Dutch Excel: UTF-8 with BOM, `;`-separated. XLSX through openpyxl's write-only mode
into a temporary file, so memory stays flat however many rows there are. Both take their rows
from `AttendanceExport.rows`, and both neutralise would-be formulas.
"""
from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeAlias

import sqlalchemy as sa
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from sqlalchemy.orm import Session

from core.csvutils import BOM, csv_line, neutralise
from core.timeutils import to_local
from events.labels import REGISTRATION_STATUS_LABELS
from events.models import Question, Registration
from extensions import db

BATCH_SIZE = 500
XLSX_CHUNK_BYTES = 64 * 1024
XLSX_DATETIME_FORMAT = "dd-mm-yyyy hh:mm"  # Excel shows and sorts it as a date; Dutch order
CSV_DATETIME_FORMAT = "%Y-%m-%d %H:%M"

# A cell: text, or a moment in Europe/Amsterdam without its offset (what a spreadsheet can hold), or empty.
Cell: TypeAlias = str | datetime | None


@dataclass(frozen=True)
class QuestionColumn:
    question_id: int
    label: str


@dataclass(frozen=True)
class AttendanceExport:
    """What an export needs, read as plain values while the request's session is open.

    The body is written after the view returned, when the request's unit of work has committed (and its
    session may be closed): the rows come from a read session of their own, never from the request's objects.
    """

    event_id: int
    header: list[str]
    questions: list[QuestionColumn]

    def rows(self) -> Iterator[list[Cell]]:
        """The header, then one row per registration, oldest first, read in batches."""
        yield self.header
        with Session(db.engine) as session:
            registrations = session.scalars(
                sa.select(Registration)
                .where(Registration.event_id == self.event_id)
                .order_by(Registration.created_at, Registration.id)
                .execution_options(yield_per=BATCH_SIZE)
            )
            for registration in registrations:
                yield _row(registration, self.questions)

    def csv(self) -> Iterator[str]:
        """The CSV file in chunks, one line each."""
        rows = self.rows()
        yield BOM + csv_line(_texts(next(rows)))
        for row in rows:
            yield csv_line(_texts(row))

    def xlsx(self) -> Iterator[bytes]:
        """The XLSX file in chunks: written row by row to a temporary file, then read back."""
        with tempfile.TemporaryFile() as file:
            workbook = Workbook(write_only=True)
            sheet = workbook.create_sheet(_("Aanmeldingen"))
            for row in self.rows():
                sheet.append([_xlsx_cell(sheet, cell) for cell in row])
            workbook.save(file)
            file.seek(0)
            while chunk := file.read(XLSX_CHUNK_BYTES):
                yield chunk


def attendance_export(event_id: int) -> AttendanceExport:
    """Reads the columns now: an export that cannot start fails in the view, before its audit entry is kept.

    Questions deleted after people answered them keep their column (marked as deleted).
    """
    questions = _export_questions(event_id)
    return AttendanceExport(event_id=event_id, header=_header(questions),
                            questions=[QuestionColumn(question.id, question.label) for question in questions])


def _xlsx_cell(sheet: WriteOnlyWorksheet, cell: Cell) -> str | WriteOnlyCell:
    """A moment as a real date cell; text without the control characters XML cannot hold, and
    with a leading "=" neutralised (openpyxl reads it as a formula)."""
    if isinstance(cell, datetime):
        moment = WriteOnlyCell(sheet, value=cell)
        moment.number_format = XLSX_DATETIME_FORMAT
        return moment
    return neutralise(ILLEGAL_CHARACTERS_RE.sub("", cell or ""))


def _texts(row: list[Cell]) -> list[str]:
    return [cell.strftime(CSV_DATETIME_FORMAT) if isinstance(cell, datetime) else cell or "" for cell in row]


def _export_questions(event_id: int) -> list[Question]:
    query = (
        sa.select(Question)
        .where(Question.event_id == event_id)
        .order_by(Question.deleted_at.is_not(None), Question.position, Question.id)
    )
    return list(db.session.scalars(query))


def _header(questions: list[Question]) -> list[str]:
    columns = [_("Naam"), _("E-mailadres"), _("Bedrijf of organisatie"), _("Telefoon"), _("Status"),
               _("Binnenloper"), _("Aangemeld op"), _("Ingecheckt op"), _("Bron"), _("Wil op de hoogte blijven")]
    for question in questions:
        columns.append(f"{question.label} ({_('verwijderd')})" if question.deleted_at else question.label)
    return columns


def _row(registration: Registration, questions: list[QuestionColumn]) -> list[Cell]:
    answers = registration.answers or {}
    return [
        registration.name,
        registration.email or "",
        registration.company_name or "",
        registration.phone or "",
        str(REGISTRATION_STATUS_LABELS[registration.status]),
        _yes_no(registration.walk_in),
        _local(registration.created_at),
        _local(registration.checked_in_at),
        registration.source or "",
        _yes_no(registration.keep_informed),
        *(format_answer(answers.get(str(question.question_id))) for question in questions),
    ]


def format_answer(answer: Any) -> str:
    """A list (multiple choice) joined, a bool (checkbox) as Ja/Nee, nothing as an empty cell."""
    if answer is None:
        return ""
    if isinstance(answer, bool):
        return _yes_no(answer)
    if isinstance(answer, list):
        return ", ".join(str(item) for item in answer)
    return str(answer)


def _yes_no(value: bool) -> str:
    return _("Ja") if value else _("Nee")


def _local(moment: datetime | None) -> datetime | None:
    """Europe/Amsterdam wall-clock time, naive: spreadsheets have no time zones, and people read local time."""
    return to_local(moment).replace(tzinfo=None, second=0, microsecond=0) if moment else None


