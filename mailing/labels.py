"""Human labels for the mail enums, translated at render time."""
from __future__ import annotations

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from mailing.models import MessageStatus

STATUS_LABELS: dict[str, LazyString] = {
    MessageStatus.QUEUED: _l("In de wachtrij"),
    MessageStatus.SENDING: _l("Wordt verstuurd"),
    MessageStatus.SENT: _l("Verstuurd"),
    MessageStatus.FAILED: _l("Mislukt"),
    MessageStatus.CANCELLED: _l("Geannuleerd"),
}

# What caused a mail (`OutgoingMessage.template`), as people call it. A name not listed (a feature
# added later) shows as itself rather than not at all.
TEMPLATE_LABELS: dict[str, LazyString] = {
    "registration_confirmed": _l("Bevestiging aanmelding"),
    "registration_waitlisted": _l("Op de wachtlijst"),
    "registration_promoted": _l("Van de wachtlijst naar een plaats"),
    "registration_cancelled": _l("Afmelding bevestigd"),
    "already_registered": _l("Al aangemeld"),
    "event_cancelled": _l("Bijeenkomst gaat niet door"),
    "event_updated": _l("Bijeenkomst gewijzigd"),
    "online_link": _l("Link naar de online bijeenkomst"),
    "reminder": _l("Herinnering"),
    "followup_attended": _l("Bedankt voor uw komst"),
    "followup_no_show": _l("We hebben u gemist"),
    "effect_followup_survey": _l("Vragenlijst na de bijeenkomst"),
    "password_reset": _l("Nieuw wachtwoord instellen"),
    "invitation": _l("Uitnodiging voor een account"),
    "added_to_organisation": _l("Toegevoegd aan organisatie"),
    "confirm_subscription": _l("Bevestiging inschrijving nieuwsbrief"),
    "campaign": _l("Campagne"),
    "campaign_test": _l("Testmail van een campagne"),
}


def template_label(template: str) -> str:
    return str(TEMPLATE_LABELS.get(template, template))
