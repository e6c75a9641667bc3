"""Human labels for the contact and campaign enums, translated at render time."""
from __future__ import annotations

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from campaigns.models import (
    CampaignStatus,
    ConsentSource,
    ContactAudience,
    ContactStatus,
    DeliveryStatus,
    EventRelation,
    ImportStatus,
    Topic,
)
from mailing.models import BounceKind

AUDIENCE_LABELS = {
    ContactAudience.CITIZEN: _l("Inwoner"),
    ContactAudience.SME: _l("Ondernemer (mkb)"),
}
CONTACT_STATUS_LABELS = {
    ContactStatus.UNCONFIRMED: _l("Nog niet bevestigd"),
    ContactStatus.SUBSCRIBED: _l("Aangemeld"),
    ContactStatus.UNSUBSCRIBED: _l("Afgemeld"),
    ContactStatus.BOUNCED: _l("Onbestelbaar"),
    ContactStatus.COMPLAINED: _l("Klacht (spam)"),
}
TOPIC_LABELS = {
    Topic.PHISHING: _l("Phishing en nepberichten"),
    Topic.PASSWORDS: _l("Wachtwoorden en inloggen"),
    Topic.FRAUD: _l("Online fraude en oplichting"),
    Topic.BUSINESS: _l("Digitale veiligheid voor ondernemers"),
    Topic.EVENTS: _l("Bijeenkomsten in de buurt"),
}
CAMPAIGN_STATUS_LABELS = {
    CampaignStatus.DRAFT: _l("Concept"),
    CampaignStatus.SCHEDULED: _l("Ingepland"),
    CampaignStatus.SENDING: _l("Wordt verstuurd"),
    CampaignStatus.PAUSED: _l("Gepauzeerd"),
    CampaignStatus.SENT: _l("Verstuurd"),
    CampaignStatus.CANCELLED: _l("Geannuleerd"),
}
EVENT_RELATION_LABELS = {
    EventRelation.REGISTERED: _l("aangemeld voor"),
    EventRelation.ATTENDED: _l("aanwezig geweest bij"),
    EventRelation.ABSENT: _l("aangemeld maar niet gekomen bij"),
}
CONSENT_SOURCE_LABELS = {
    ConsentSource.SUBSCRIBE_FORM: _l("Aanmeldformulier"),
    ConsentSource.EVENT_SIGNUP: _l("Aanmelding voor een bijeenkomst"),
    ConsentSource.IMPORT: _l("Import (toestemming elders gegeven)"),
    ConsentSource.ADMIN_RESEND: _l("Bevestigingsmail, opnieuw verstuurd door een beheerder"),
}
IMPORT_STATUS_LABELS = {
    ImportStatus.UPLOADED: _l("Kolommen nog niet gekozen"),
    ImportStatus.QUEUED: _l("In de wachtrij"),
    ImportStatus.RUNNING: _l("Bezig"),
    ImportStatus.DONE: _l("Klaar"),
    ImportStatus.FAILED: _l("Mislukt"),
}


def template_labels() -> dict[str, dict[str, LazyString]]:
    return {
        "contact_audience_labels": AUDIENCE_LABELS,
        "contact_status_labels": CONTACT_STATUS_LABELS,
        "topic_labels": TOPIC_LABELS,
        "campaign_status_labels": CAMPAIGN_STATUS_LABELS,
        "event_relation_labels": EVENT_RELATION_LABELS,
        "consent_source_labels": CONSENT_SOURCE_LABELS,
        "import_status_labels": IMPORT_STATUS_LABELS,
        "delivery_status_labels": DELIVERY_STATUS_LABELS,
    }


BOUNCE_KIND_LABELS = {
    BounceKind.HARD: _l("Hard teruggekomen (adres werkt niet)"),
    BounceKind.SOFT: _l("Zacht teruggekomen (tijdelijk)"),
    BounceKind.COMPLAINT: _l("Klacht (als spam gemeld)"),
}


DELIVERY_STATUS_LABELS = {
    DeliveryStatus.QUEUED: _l("In de wachtrij"),
    DeliveryStatus.SENT: _l("Verstuurd"),
    DeliveryStatus.FAILED: _l("Mislukt"),
    DeliveryStatus.BOUNCED: _l("Onbestelbaar (teruggekomen)"),
    DeliveryStatus.UNSUBSCRIBED: _l("Afgemeld via deze campagne"),
    DeliveryStatus.NOT_SENT: _l("Niet verstuurd (gepauzeerd of geannuleerd)"),
}
