"""The visual editor page (GrapesJS with grapesjs-mjml): the officer edits the content sections;
the server cleans them and puts them in the organisation's locked layout (campaigns.services.editor)."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf
from werkzeug.wrappers import Response

from accounts.branding import organisation_branding
from accounts.models import Organisation
from campaigns.models import Campaign, CampaignImage
from campaigns.services import editor, images
from campaigns.services.campaigns import CampaignError, ensure_editable
from core.db import Refused
from core.permissions import Permission, requires, scoped_or_404
from extensions import db
from mailing.rendering import TemplateError

blueprint = Blueprint("campaign_editor", __name__, url_prefix="/beheer/campagnes")
_REFUSALS = (CampaignError, TemplateError)


def editor_csp() -> str:
    """The app's policy (app.py) loosened only as the editor needs, on the editor page only (SECURITY.md):
    GrapesJS styles its panels and canvas with inline styles, and the canvas shows the mail's images,
    which live on this app (BASE_URL) or on any https site the officer links to."""
    base = urlsplit(current_app.config["BASE_URL"])
    return ("default-src 'self'; "
            f"img-src 'self' data: blob: https: {base.scheme}://{base.netloc}; "
            "style-src 'self' 'unsafe-inline'; script-src 'self'; font-src 'self' data:; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


def _campaign(campaign_id: int) -> Campaign:
    campaign = scoped_or_404(Campaign, campaign_id, Permission.MANAGE_CAMPAIGNS)
    ensure_editable(campaign)  # refused: CampaignLocked, a 409 (app.refusal_codes)
    return campaign


@blueprint.route("/<int:campaign_id>/ontwerp")
@requires(Permission.MANAGE_CAMPAIGNS)
def design(campaign_id: int) -> Response:
    return _page(_campaign(campaign_id), None, 200)


def _page(campaign: Campaign, refusal: str | None, status: int) -> Response:
    organisation = db.session.get_one(Organisation, campaign.organisation_id)
    colour = organisation_branding(organisation).colour
    body, not_representable = campaign.visual_body, None
    if body is None:
        try:
            body = editor.body_from_source(campaign.mjml_source)
        except editor.NotRepresentable as error:
            body, not_representable = "", str(error)
    events = [{"id": event.id, "label": f"{event.title} ({event.starts_at:%d-%m-%Y})",
               "content": editor.event_section(campaign, event, colour)}
              for event in editor.invitation_events(campaign.organisation_id)]
    data = {
        "body": editor.editor_body(campaign, body, colour),
        "events": events,
        "selfhelp": editor.selfhelp_section(campaign, colour),
        "mergeTags": [{"token": tag.token, "label": str(tag.label)} for tag in editor.MERGE_TAGS],
        "assets": [_asset(image) for image in images.images_of(campaign.organisation_id)],
        "uploadUrl": url_for("campaign_images.upload", campaign_id=campaign.id),
        "previewUrl": url_for("campaign_editor.preview", campaign_id=campaign.id),
        "csrfToken": generate_csrf(),
        "iconsUrl": url_for("static", filename="vendor/font-awesome/css/font-awesome.min.css"),
    }
    html = render_template("campaigns/design.html", campaign=campaign, refusal=refusal,
                           not_representable=not_representable, editor_data=data)
    response = current_app.make_response((html, status))
    response.headers["Content-Security-Policy"] = editor_csp()
    return response


def _asset(image: CampaignImage) -> dict[str, object]:
    return {"src": images.image_url(image), "name": image.filename, "width": image.width, "height": image.height}


@blueprint.post("/<int:campaign_id>/ontwerp")
@requires(Permission.MANAGE_CAMPAIGNS)
def save(campaign_id: int) -> Response:
    campaign = _campaign(campaign_id)
    try:
        editor.save_visual(campaign, request.form.get("visual_body", ""))
    except _REFUSALS as error:
        raise Refused(_page, campaign, str(error), 400) from error
    flash(_("De inhoud is opgeslagen."), "success")
    return redirect(url_for("campaign_editor.design", campaign_id=campaign.id))


@blueprint.post("/<int:campaign_id>/ontwerp/voorbeeld")
@requires(Permission.MANAGE_CAMPAIGNS)
def preview(campaign_id: int) -> tuple[Response, int]:
    """Live preview while building (static/js/campaign-design.js); the content is saved by `save`."""
    campaign = _campaign(campaign_id)
    try:
        editor.preview_visual(campaign, request.form.get("visual_body", ""))
    except _REFUSALS as error:
        raise Refused(_preview_refused, str(error)) from error
    return jsonify(ok=True, error=None), 200


def _preview_refused(error: str) -> tuple[Response, int]:
    return jsonify(ok=False, error=error), 400


@blueprint.post("/<int:campaign_id>/ontwerp/naar-mjml")
@requires(Permission.MANAGE_CAMPAIGNS)
def to_raw(campaign_id: int) -> Response:
    editor.leave_visual(_campaign(campaign_id))
    flash(_("De campagne wordt nu als MJML bewerkt; de visuele editor opent haar weer zolang kop en voet "
            "ongewijzigd blijven."), "success")
    return redirect(url_for("campaigns.edit", campaign_id=campaign_id))
