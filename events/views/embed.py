"""The agenda to embed in an organisation's own site, as an iframe (this page) or a script (static/js/widget.js).

Only the organisation's listed origins may frame it (`frame-ancestors`, accounts/embedding.py); it sets
no cookie and holds no form: signing up happens on the event's own page, opened at the top level.
"""
from __future__ import annotations

from dataclasses import replace

from flask import Blueprint
from werkzeug.wrappers import Response

from accounts.embedding import organisation_or_404, render_embedded
from core.permissions import public
from events.services import queries
from events.views.public import filters_from_args

blueprint = Blueprint("embed", __name__, url_prefix="/insluiten")
AGENDA_SIZE = 10


@blueprint.get("/<slug>/agenda")
@public
def agenda(slug: str) -> Response:
    organisation = organisation_or_404(slug)
    filters = replace(filters_from_args(), organisation_slug=organisation.slug)
    listings, total = queries.upcoming_events(filters, page_size=AGENDA_SIZE)
    return render_embedded(organisation, "embed/agenda.html", listings=listings, total=total,
                           Availability=queries.Availability)
