"""Human labels for the event enums, translated at render time."""
from __future__ import annotations

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from events.models import Audience, EventKind, EventStatus, QuestionKind, RefusalReason, RegistrationStatus

AUDIENCE_LABELS: dict[str, LazyString] = {
    Audience.CITIZENS: _l("Inwoners"),
    Audience.SMES: _l("Ondernemers (mkb)"),
    Audience.PARTNERS: _l("Partners"),
    Audience.EVERYONE: _l("Iedereen"),
}
KIND_LABELS: dict[str, LazyString] = {
    EventKind.SESSION: _l("Bijeenkomst"),
    EventKind.WORKSHOP: _l("Workshop"),
    EventKind.WEBINAR: _l("Webinar"),
    EventKind.MEETING: _l("Partneroverleg"),
}
EVENT_STATUS_LABELS: dict[str, LazyString] = {
    EventStatus.DRAFT: _l("Concept"),
    EventStatus.PUBLISHED: _l("Gepubliceerd"),
    EventStatus.CANCELLED: _l("Geannuleerd"),
}
REGISTRATION_STATUS_LABELS: dict[str, LazyString] = {
    RegistrationStatus.CONFIRMED: _l("Aangemeld"),
    RegistrationStatus.WAITLISTED: _l("Wachtlijst"),
    RegistrationStatus.CANCELLED: _l("Geannuleerd"),
}
QUESTION_KIND_LABELS: dict[str, LazyString] = {
    QuestionKind.SHORT_TEXT: _l("Korte tekst"),
    QuestionKind.LONG_TEXT: _l("Lange tekst"),
    QuestionKind.SINGLE_CHOICE: _l("Eén keuze"),
    QuestionKind.MULTIPLE_CHOICE: _l("Meerdere keuzes"),
    QuestionKind.CHECKBOX: _l("Vinkje"),
}

REFUSAL_LABELS: dict[str, LazyString] = {
    RefusalReason.CANCELLED: _l("Aanmelding geannuleerd"),
    RefusalReason.WAITLISTED: _l("Staat op de wachtlijst"),
    RefusalReason.OTHER_EVENT: _l("Niet voor deze bijeenkomst"),
    RefusalReason.UNKNOWN_CODE: _l("Onbekende code"),
    RefusalReason.EVENT_CANCELLED: _l("Deze bijeenkomst is geannuleerd"),
    RefusalReason.EVENT_ENDED: _l("De bijeenkomst is afgelopen; alleen een organisator kan nog inchecken"),
}


def template_labels() -> dict[str, dict[str, LazyString]]:
    return {
        "audience_labels": AUDIENCE_LABELS,
        "kind_labels": KIND_LABELS,
        "event_status_labels": EVENT_STATUS_LABELS,
        "registration_status_labels": REGISTRATION_STATUS_LABELS,
        "question_kind_labels": QUESTION_KIND_LABELS,
    }
