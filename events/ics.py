"""An RFC 5545 calendar file for one event (no dependency: the format is small)."""
from __future__ import annotations

from datetime import datetime

from core.timeutils import utcnow
from events.models import Event

PRODUCT_ID = "-//Weerbaar//Evenementen//NL"


def escape_text(value: str) -> str:
    """TEXT escaping (RFC 5545 3.3.11): backslash, semicolon, comma and line breaks."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line: str) -> str:
    """Folds a content line at 75 octets, never inside a UTF-8 character."""
    encoded = line.encode("utf-8")
    if len(encoded) <= 75:
        return line
    parts, current = [], b""
    for char in line:
        piece = char.encode("utf-8")
        limit = 75 if not parts else 74  # continuation lines start with a space
        if len(current) + len(piece) > limit:
            parts.append(current.decode("utf-8"))
            current = b""
        current += piece
    parts.append(current.decode("utf-8"))
    return "\r\n ".join(parts)


def _utc(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%SZ")


def _vevent(event: Event, url: str, domain: str, stamp: datetime) -> list[str]:
    location = ", ".join(part for part in (event.venue_name, event.venue_address) if part)
    return [
        "BEGIN:VEVENT",
        f"UID:event-{event.id}@{domain}",
        f"DTSTAMP:{_utc(stamp)}",
        f"DTSTART:{_utc(event.starts_at)}",
        f"DTEND:{_utc(event.ends_at)}",
        f"SUMMARY:{escape_text(event.title)}",
        f"DESCRIPTION:{escape_text(event.description or '')}",
        f"LOCATION:{escape_text(location or event.online_url or '')}",
        f"URL:{url}",
        f"STATUS:{'CANCELLED' if event.status == 'cancelled' else 'CONFIRMED'}",
        "END:VEVENT",
    ]


def calendar(events_with_urls: list[tuple[Event, str]], domain: str, name: str | None = None) -> bytes:
    """A VCALENDAR with one VEVENT per (event, public url); `name` titles a subscribed feed."""
    stamp = utcnow()
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODUCT_ID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH"]
    if name:
        lines.append(f"X-WR-CALNAME:{escape_text(name)}")
    for event, url in events_with_urls:
        lines += _vevent(event, url, domain, stamp)
    lines.append("END:VCALENDAR")
    return ("\r\n".join(fold(line) for line in lines) + "\r\n").encode("utf-8")


def event_calendar(event: Event, url: str, domain: str) -> bytes:
    return calendar([(event, url)], domain)
