"""Paper for the door: the attendance list to sign (presentielijst) and name badges, as PDF.

Built with ReportLab: pure Python wheels from PyPI, no system libraries (WeasyPrint needs Debian's
Pango and would make CI and every server install more), and its table and canvas are all a list
and a sheet of badges need. Both hold the confirmed registrations only, in name order, and nothing
beyond name and organisation (the badges) or name, organisation and walk-in (the list).
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape as _escape  # Paragraph reads markup: a name is text

import reportlab
import sqlalchemy as sa
from flask_babel import format_datetime, format_time
from flask_babel import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from events.models import Event, Registration, RegistrationStatus
from extensions import db

# DejaVu (Debian's fonts-dejavu-core) covers Latin Extended (ł, ő, ş); ReportLab's own Vera, its
# ancestor, is the fallback that is always there and covers Western European names.
FONT_FILES = [
    (Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"), Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")),
    (Path(reportlab.__file__).parent / "fonts" / "Vera.ttf", Path(reportlab.__file__).parent / "fonts" / "VeraBd.ttf"),
]
FONT, BOLD = "WeerbaarSans", "WeerbaarSans-Bold"
MARGIN = 15 * mm
BADGE_WIDTH, BADGE_HEIGHT = 90 * mm, 55 * mm  # 2 x 5 on A4, the size of common badge holders
BADGE_COLUMNS, BADGE_ROWS = 2, 5
NAME_SIZE, NAME_MIN_SIZE = 22, 10


@dataclass(frozen=True)
class Person:
    name: str
    organisation: str
    walk_in: bool


def _fonts() -> None:
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    regular, bold = next(pair for pair in FONT_FILES if pair[0].exists() and pair[1].exists())
    pdfmetrics.registerFont(TTFont(FONT, str(regular)))
    pdfmetrics.registerFont(TTFont(BOLD, str(bold)))


def _people(event_id: int) -> list[Person]:
    rows = db.session.execute(
        sa.select(Registration.name, Registration.company_name, Registration.walk_in)
        .where(Registration.event_id == event_id, Registration.status == RegistrationStatus.CONFIRMED)
        .order_by(sa.func.lower(Registration.name), Registration.id)
    )
    return [Person(row.name, row.company_name or "", row.walk_in) for row in rows]


def _when(event: Event) -> str:
    return f"{format_datetime(event.starts_at, 'EEEE d MMMM y, HH:mm')} – {format_time(event.ends_at, 'HH:mm')}"


def _where(event: Event) -> str:
    return ", ".join(part for part in (event.venue_name, event.venue_address) if part) or _("Online")


def attendance_sheet(event: Event) -> bytes:
    """A4 portrait: the event, then a table to sign with a row per confirmed person; the header
    row repeats on every page, and each page says which of how many it is."""
    _fonts()
    people = _people(event.id)
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                                 bottomMargin=MARGIN + 5 * mm, title=_("Presentielijst: %(title)s", title=event.title),
                                 author=event.organisation.name, lang="nl")
    title = ParagraphStyle("title", fontName=BOLD, fontSize=16, leading=20)
    body = ParagraphStyle("body", fontName=FONT, fontSize=10, leading=13)
    cell = ParagraphStyle("cell", fontName=FONT, fontSize=10, leading=12)
    header = [_("Nr."), _("Naam"), _("Bedrijf of organisatie"), _("Handtekening")]
    rows = [[str(number), Paragraph(_escape(person.name) + (f" <i>({_('binnenloper')})</i>" if person.walk_in else ""),
                                    cell), Paragraph(_escape(person.organisation), cell), ""]
            for number, person in enumerate(people, start=1)]
    table = Table([header, *rows], colWidths=[12 * mm, 62 * mm, 52 * mm, None], repeatRows=1,
                  rowHeights=[8 * mm] + [11 * mm] * len(rows))
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, 0), BOLD, 10), ("FONT", (0, 1), (-1, -1), FONT, 10),
        ("GRID", (0, 0), (-1, -1), 0.5, colors.grey), ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6e6e6")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]))
    story = [
        Paragraph(_escape(_("Presentielijst: %(title)s", title=event.title)), title),
        Paragraph(_escape(f"{_when(event)} · {_where(event)}"), body),
        Paragraph(_escape(_("%(count)s aanmeldingen. Zet uw handtekening achter uw naam.", count=len(people))), body),
        Spacer(1, 5 * mm),
        table,
    ]
    footer = _("Pagina %(page)s", page="{page}") + f" · {event.organisation.name}"

    def page_footer(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        canvas.setFont(FONT, 8)
        canvas.drawString(MARGIN, MARGIN, footer.replace("{page}", str(doc.page)))

    document.build(story, onFirstPage=page_footer, onLaterPages=page_footer)
    return buffer.getvalue()


def badges(event: Event) -> bytes:
    """Name badges, ten to an A4 sheet with cutting lines: the name as large as fits, the organisation
    under it, the event at the bottom."""
    _fonts()
    people = _people(event.id)
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
    canvas.setTitle(_("Naambadges: %(title)s", title=event.title))
    canvas.setAuthor(event.organisation.name)
    page_width, page_height = A4
    left = (page_width - BADGE_COLUMNS * BADGE_WIDTH) / 2
    top = page_height - (page_height - BADGE_ROWS * BADGE_HEIGHT) / 2
    per_page = BADGE_COLUMNS * BADGE_ROWS
    for index, person in enumerate(people):
        if index and index % per_page == 0:
            canvas.showPage()
        slot = index % per_page
        x = left + (slot % BADGE_COLUMNS) * BADGE_WIDTH
        y = top - (slot // BADGE_COLUMNS + 1) * BADGE_HEIGHT
        _badge(canvas, x, y, person, event.title)
    if not people:
        canvas.setFont(FONT, 12)
        canvas.drawString(MARGIN, page_height - MARGIN, _("Er zijn geen aanmeldingen."))
    canvas.save()
    return buffer.getvalue()


def _badge(canvas: Canvas, x: float, y: float, person: Person, event_title: str) -> None:
    canvas.setStrokeColor(colors.lightgrey)
    canvas.setDash(2, 2)
    canvas.rect(x, y, BADGE_WIDTH, BADGE_HEIGHT)
    canvas.setDash()
    width = BADGE_WIDTH - 10 * mm
    centre = x + BADGE_WIDTH / 2
    size = _fitting_size(person.name, BOLD, width)
    canvas.setFillColor(colors.black)
    canvas.setFont(BOLD, size)
    canvas.drawCentredString(centre, y + BADGE_HEIGHT * 0.55, _clipped(person.name, BOLD, size, width))
    if person.organisation:
        canvas.setFont(FONT, 12)
        canvas.drawCentredString(centre, y + BADGE_HEIGHT * 0.55 - 9 * mm, _clipped(person.organisation, FONT, 12, width))
    canvas.setFont(FONT, 8)
    canvas.setFillColor(colors.HexColor("#4d4d4d"))
    canvas.drawCentredString(centre, y + 5 * mm, _clipped(event_title, FONT, 8, width))


def _fitting_size(text: str, font: str, width: float) -> float:
    size = NAME_SIZE
    while size > NAME_MIN_SIZE and pdfmetrics.stringWidth(text, font, size) > width:
        size -= 1
    return size


def _clipped(text: str, font: str, size: float, width: float) -> str:
    """`text`, shortened with an ellipsis when even the smallest size does not fit the badge."""
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "…"
