"""The public archive of an organisation's campaigns (opt-in per campaign) and the officer's switch for it."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from accounts.embedding import organisation_or_404
from campaigns.models import Campaign
from campaigns.services import archive
from core.permissions import Permission, public, requires, scoped_or_404

blueprint = Blueprint("archive", __name__)
# The web version is an officer's mail HTML: it may style itself inline, but runs nothing, loads no
# other page into itself, and is framed by nobody. Images may come from https (as in the mail itself).
WEB_VERSION_POLICY = ("default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; "
                      "base-uri 'none'; form-action 'none'; frame-ancestors 'none'; "
                      "sandbox allow-popups allow-popups-to-escape-sandbox allow-top-navigation-by-user-activation")


@blueprint.get("/archief/<slug>")
@public
def index(slug: str) -> str:
    organisation = organisation_or_404(slug)
    return render_template("campaigns/archive/index.html", organisation=organisation,
                           campaigns=archive.archived_campaigns(organisation.id))


@blueprint.get("/archief/<slug>/<int:campaign_id>")
@public
def show(slug: str, campaign_id: int) -> Response:
    """The mail itself, as its own document: what "Bekijk in uw browser" opens."""
    organisation = organisation_or_404(slug)
    campaign = archive.archived_campaign(organisation.id, campaign_id)
    if campaign is None:
        abort(404, description=_("Deze nieuwsbrief staat niet (meer) in het archief."))
    response = Response(archive.web_version(campaign, organisation).html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = WEB_VERSION_POLICY
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@blueprint.post("/beheer/campagnes/<int:campaign_id>/archief")
@requires(Permission.MANAGE_CAMPAIGNS)
def set_archived(campaign_id: int) -> Response:
    campaign = scoped_or_404(Campaign, campaign_id, Permission.MANAGE_CAMPAIGNS)
    form = FlaskForm()
    if not form.validate_on_submit():
        abort(400)
    archived = not campaign.public_archive
    archive.set_archived(campaign, archived)
    flash(_("De campagne staat in het openbare archief.") if archived
          else _("De campagne staat niet meer in het openbare archief."), "success")
    return redirect(url_for("campaigns.show", campaign_id=campaign.id))
