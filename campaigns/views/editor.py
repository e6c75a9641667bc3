"""The visual editor page (GrapesJS with grapesjs-mjml): the officer edits the content sections;
the server cleans them and puts them in the organisation's locked layout (campaigns.services.editor).
One page serves a campaign and an organisation's own template: `EditorPage` says, for what is
edited, where it is saved, previewed and uploaded to, and where its raw MJML is edited."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf
from werkzeug.wrappers import Response

from accounts.branding import organisation_branding
from accounts.models import Organisation
from campaigns.forms import TemplateSourceForm
from campaigns.models import Campaign, CampaignImage, SavedTemplate
from campaigns.services import editor, images
from campaigns.services.campaigns import CampaignError, Document, ensure_editable, render_sample
from core.db import Refused
from core.permissions import Permission, requires, scoped_or_404
from extensions import db
from mailing.preview import sandboxed_html
from mailing.rendering import TemplateError

blueprint = Blueprint("campaign_editor", __name__, url_prefix="/beheer/campagnes")
_REFUSALS = (CampaignError, TemplateError)


@dataclass(frozen=True)
class EditorPage:
    """What the one editor page needs to know of the document it edits."""
    document: Document
    heading: str
    links: list[tuple[str, str]]  # (label, url) above the editor
    design_url: str  # the page itself; a save posts here
    preview_url: str  # the live preview (POST)
    frame_url: str  # the preview frames' last render
    upload_url: str
    raw_url: str  # where its raw MJML is edited
    leave_url: str | None  # a campaign leaves the visual editor by a POST; a template's raw page keeps it
    live_frames: bool  # a template stores no render: its preview answer carries the HTML for the frames


def _campaign_page(campaign: Campaign) -> EditorPage:
    return EditorPage(
        document=campaign, heading=_("Inhoud ontwerpen: %(name)s", name=campaign.name),
        links=[(_("Onderwerp, afzender en ontvangers"), url_for("campaigns.edit", campaign_id=campaign.id)),
               (_("Controle voor verzending"), url_for("campaigns.preflight", campaign_id=campaign.id)),
               (_("Terug naar de campagne"), url_for("campaigns.show", campaign_id=campaign.id))],
        design_url=url_for("campaign_editor.design", campaign_id=campaign.id),
        preview_url=url_for("campaign_editor.preview", campaign_id=campaign.id),
        frame_url=url_for("campaigns.preview", campaign_id=campaign.id),
        upload_url=url_for("campaign_images.upload", campaign_id=campaign.id),
        raw_url=url_for("campaigns.edit", campaign_id=campaign.id),
        leave_url=url_for("campaign_editor.to_raw", campaign_id=campaign.id), live_frames=False)


def _template_page(template: SavedTemplate) -> EditorPage:
    return EditorPage(
        document=template, heading=_("Sjabloon ontwerpen: %(name)s", name=template.name),
        links=[(_("Terug naar de eigen sjablonen"),
                url_for("campaign_templates.index", organisatie=template.organisation_id))],
        design_url=url_for("campaign_editor.design_template", template_id=template.id),
        preview_url=url_for("campaign_editor.preview_template", template_id=template.id),
        frame_url=url_for("campaign_editor.template_frame", template_id=template.id),
        upload_url=url_for("campaign_images.upload_for_template", template_id=template.id),
        raw_url=url_for("campaign_editor.template_source", template_id=template.id),
        leave_url=None, live_frames=True)


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


def _template(template_id: int) -> SavedTemplate:
    return scoped_or_404(SavedTemplate, template_id, Permission.MANAGE_CAMPAIGNS)


@blueprint.route("/<int:campaign_id>/ontwerp")
@requires(Permission.MANAGE_CAMPAIGNS)
def design(campaign_id: int) -> Response:
    return _page(_campaign_page(_campaign(campaign_id)), None, 200)


@blueprint.route("/sjablonen/<int:template_id>/ontwerp")
@requires(Permission.MANAGE_CAMPAIGNS)
def design_template(template_id: int) -> Response:
    return _page(_template_page(_template(template_id)), None, 200)


def _page(page: EditorPage, refusal: str | None, status: int) -> Response:
    document = page.document
    organisation = db.session.get_one(Organisation, document.organisation_id)
    colour = organisation_branding(organisation).colour
    body, not_representable = editor.visual_form(document)
    events = [{"id": event.id, "label": f"{event.title} ({event.starts_at:%d-%m-%Y})",
               "content": editor.event_section(document, event, colour)}
              for event in editor.invitation_events(document.organisation_id)]
    data = {
        "body": editor.editor_body(document, body or "", colour),
        "events": events,
        "selfhelp": editor.selfhelp_section(document, colour),
        "mergeTags": [{"token": tag.token, "label": str(tag.label)} for tag in editor.MERGE_TAGS],
        "assets": [_asset(image) for image in images.images_of(document.organisation_id)],
        "uploadUrl": page.upload_url,
        "previewUrl": page.preview_url,
        "csrfToken": generate_csrf(),
        "iconsUrl": url_for("static", filename="vendor/font-awesome/css/font-awesome.min.css"),
    }
    html = render_template("campaigns/design.html", page=page, refusal=refusal,
                           not_representable=not_representable, editor_data=data)
    response = current_app.make_response((html, status))
    response.headers["Content-Security-Policy"] = editor_csp()
    return response


def _asset(image: CampaignImage) -> dict[str, object]:
    return {"src": images.image_url(image), "name": image.filename, "width": image.width, "height": image.height}


@blueprint.post("/<int:campaign_id>/ontwerp")
@requires(Permission.MANAGE_CAMPAIGNS)
def save(campaign_id: int) -> Response:
    return _save(_campaign_page(_campaign(campaign_id)))


@blueprint.post("/sjablonen/<int:template_id>/ontwerp")
@requires(Permission.MANAGE_CAMPAIGNS)
def save_template(template_id: int) -> Response:
    return _save(_template_page(_template(template_id)))


def _save(page: EditorPage) -> Response:
    try:
        editor.save_visual(page.document, request.form.get("visual_body", ""))
    except _REFUSALS as error:
        raise Refused(_page, page, str(error), 400) from error
    flash(_("De inhoud is opgeslagen."), "success")
    return redirect(page.design_url)


@blueprint.post("/<int:campaign_id>/ontwerp/voorbeeld")
@requires(Permission.MANAGE_CAMPAIGNS)
def preview(campaign_id: int) -> tuple[Response, int]:
    """Live preview while building (static/js/campaign-design.js); the content is saved by `save`."""
    return _preview(_campaign_page(_campaign(campaign_id)))


@blueprint.post("/sjablonen/<int:template_id>/ontwerp/voorbeeld")
@requires(Permission.MANAGE_CAMPAIGNS)
def preview_template(template_id: int) -> tuple[Response, int]:
    return _preview(_template_page(_template(template_id)))


def _preview(page: EditorPage) -> tuple[Response, int]:
    try:
        rendered = editor.preview_visual(page.document, request.form.get("visual_body", ""))
    except _REFUSALS as error:
        raise Refused(_preview_refused, str(error)) from error
    return jsonify(ok=True, error=None, html=rendered.html if page.live_frames else None), 200


def _preview_refused(error: str) -> tuple[Response, int]:
    return jsonify(ok=False, error=error), 400


@blueprint.route("/sjablonen/<int:template_id>/voorbeeld")
@requires(Permission.MANAGE_CAMPAIGNS)
def template_frame(template_id: int) -> Response:
    """The saved template with sample values, for the sandboxed preview frames (rendered, not stored)."""
    template = _template(template_id)
    try:
        html = render_sample(template).html
    except TemplateError:
        html = ""
    base = urlsplit(current_app.config["BASE_URL"])
    return sandboxed_html(html, image_origin=f"{base.scheme}://{base.netloc}")


@blueprint.route("/sjablonen/<int:template_id>/mjml", methods=["GET", "POST"])
@requires(Permission.MANAGE_CAMPAIGNS)
def template_source(template_id: int) -> Response | tuple[str, int]:
    """A template's raw MJML (power users); a source without the footer's unsubscribe link is refused."""
    template = _template(template_id)
    form = TemplateSourceForm(data={"mjml_source": template.mjml_source})
    if request.method == "GET":
        return _source_page(template, form, None, 200)
    if not form.validate_on_submit():
        return _source_page(template, form, None, 400)
    try:
        editor.save_raw_template(template, form.mjml_source.data)
    except _REFUSALS as error:
        raise Refused(_source_page, template, form, str(error), 400) from error
    flash(_("De MJML-bron van het sjabloon is opgeslagen."), "success")
    return redirect(url_for("campaign_editor.template_source", template_id=template.id))


def _source_page(template: SavedTemplate, form: TemplateSourceForm, refusal: str | None,
                 status: int) -> tuple[str, int]:
    return render_template("campaigns/template_source.html", template=template, form=form, refusal=refusal), status


@blueprint.post("/<int:campaign_id>/ontwerp/naar-mjml")
@requires(Permission.MANAGE_CAMPAIGNS)
def to_raw(campaign_id: int) -> Response:
    editor.leave_visual(_campaign(campaign_id))
    flash(_("De campagne wordt nu als MJML bewerkt; de visuele editor opent haar weer zolang kop en voet "
            "ongewijzigd blijven."), "success")
    return redirect(url_for("campaigns.edit", campaign_id=campaign_id))
