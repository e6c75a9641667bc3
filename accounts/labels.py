"""Human labels for the account enums, translated at render time."""
from __future__ import annotations

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from accounts.models import OrganisationKind, Role

ROLE_LABELS: dict[str, LazyString] = {
    Role.ADMIN: _l("Beheerder"),
    Role.COMMUNICATIONS: _l("Communicatie"),
    Role.ORGANISER: _l("Organisator"),
    Role.CHECKIN: _l("Ontvangst (aanwezigheid)"),
}
ORGANISATION_KIND_LABELS: dict[str, LazyString] = {
    OrganisationKind.MUNICIPALITY: _l("Gemeente"),
    OrganisationKind.PARTNER: _l("Partner"),
}


def template_labels() -> dict[str, dict[str, LazyString]]:
    return {"role_labels": ROLE_LABELS, "organisation_kind_labels": ORGANISATION_KIND_LABELS}
