"""RFC 5545 calendar files of events, built with `icalendar`: the public feed, the file on the manage
page, and the iTIP messages (RFC 5546) in mails: REQUEST for a confirmation or an update, CANCEL
when a registration or the whole event is cancelled.

Every entry of one event carries the same UID (`event-<id>@<domain>`) in the feed and in the mails,
so a calendar merges them, and the event's `calendar_sequence` / `calendar_changed_at` as SEQUENCE
and LAST-MODIFIED, so a calendar replaces an older copy by a newer one and never the other way.
The online link is only written where the caller passes it (a confirmed registrant, once the
organiser gives it out); the public feed never holds it.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

import icalendar
from flask_babel import gettext as _

from core.timeutils import utcnow
from events.models import Event, EventStatus

PRODUCT_ID = "-//Weerbaar//Evenementen//NL"


class Method(enum.StrEnum):
    PUBLISH = "PUBLISH"  # a feed or a downloaded file: no organiser, no attendee
    REQUEST = "REQUEST"  # the invitation in a confirmation or an update
    CANCEL = "CANCEL"  # the registration or the event is cancelled: remove the entry


@dataclass(frozen=True)
class Person:
    name: str | None
    email: str


@dataclass(frozen=True)
class Entry:
    """One event as a calendar entry; `online_link` only for someone who may have it."""

    event: Event
    url: str
    online_link: str | None = None


def uid(event: Event, domain: str) -> str:
    return f"event-{event.id}@{domain}"


def location(event: Event, online_link: str | None) -> str:
    venue = ", ".join(part for part in (event.venue_name, event.venue_address) if part)
    return venue or online_link or (_("Online") if event.online_url else "")


def _description(entry: Entry) -> str:
    parts = [entry.event.description or ""]
    if entry.online_link:
        parts.append(f"Online: {entry.online_link}")
    parts.append(entry.url)
    return "\n\n".join(part for part in parts if part)


def _address(person: Person, **parameters: str) -> icalendar.vCalAddress:
    address = icalendar.vCalAddress(f"mailto:{person.email}")
    if person.name:
        address.params["CN"] = person.name
    address.params.update(parameters)
    return address


def _vevent(entry: Entry, domain: str, method: Method, organiser: Person | None,
            attendee: Person | None) -> icalendar.Event:
    event = entry.event
    cancelled = method == Method.CANCEL or event.status == EventStatus.CANCELLED
    vevent = icalendar.Event()
    vevent.add("uid", uid(event, domain))
    vevent.add("dtstamp", utcnow())
    vevent.add("sequence", event.calendar_sequence)
    vevent.add("last-modified", event.calendar_changed_at)
    vevent.add("dtstart", event.starts_at)
    vevent.add("dtend", event.ends_at)
    vevent.add("summary", event.title)
    vevent.add("description", _description(entry))
    place = location(event, entry.online_link)
    if place:
        vevent.add("location", place)
    vevent.add("url", entry.url)
    vevent.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if organiser is not None:
        vevent.add("organizer", _address(organiser))
    if attendee is not None:
        vevent.add("attendee", _address(attendee, ROLE="REQ-PARTICIPANT", RSVP="FALSE",
                                        PARTSTAT="DECLINED" if cancelled else "ACCEPTED"))
    return vevent


def calendar(entries: list[Entry], domain: str, *, method: Method = Method.PUBLISH, name: str | None = None,
             organiser: Person | None = None, attendee: Person | None = None) -> bytes:
    """A VCALENDAR with one VEVENT per entry; `name` titles a subscribed feed."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODUCT_ID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method.value)
    if name:
        cal.add("x-wr-calname", name)
    for entry in entries:
        cal.add_component(_vevent(entry, domain, method, organiser, attendee))
    return cal.to_ical()


def invitation(entry: Entry, domain: str, method: Method, organiser: Person, attendee: Person) -> bytes:
    """The iTIP message in a mail to one registrant (RFC 5546 wants the organiser and the attendee)."""
    return calendar([entry], domain, method=method, organiser=organiser, attendee=attendee)


def _compact_utc(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%SZ")


def _iso_utc(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def google_calendar_url(entry: Entry) -> str:
    """Google Calendar's "add event" template link; times in UTC (`Z`), start/end separated by `/`."""
    event = entry.event
    query = {
        "action": "TEMPLATE",
        "text": event.title,
        "dates": f"{_compact_utc(event.starts_at)}/{_compact_utc(event.ends_at)}",
        "details": _description(entry),
        "location": location(event, entry.online_link),
    }
    return "https://calendar.google.com/calendar/render?" + urlencode(query)


def outlook_calendar_url(entry: Entry) -> str:
    """Outlook.com's compose-event deep link; times as ISO 8601 in UTC."""
    event = entry.event
    query = {
        "path": "/calendar/action/compose",
        "rru": "addevent",
        "subject": event.title,
        "startdt": _iso_utc(event.starts_at),
        "enddt": _iso_utc(event.ends_at),
        "body": _description(entry),
        "location": location(event, entry.online_link),
    }
    return "https://outlook.live.com/calendar/0/action/compose?" + urlencode(query)
