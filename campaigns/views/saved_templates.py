"""An organisation's own campaign templates: keep a campaign as one, start one from a shipped template,
list, rename, delete. Their content is edited in the campaigns' visual editor (campaigns.views.editor)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from accounts.models import Organisation
from campaigns.forms import NewTemplateForm, TemplateNameForm
from campaigns.models import Campaign, SavedTemplate
from campaigns.services import saved_templates as service
from campaigns.services.campaigns import CampaignError
from campaigns.views.scope import chosen_organisation, organisations
from core.db import Refused
from core.permissions import Permission, requires, scoped_or_404
from extensions import db

blueprint = Blueprint("campaign_templates", __name__, url_prefix="/beheer/campagnes")


def _template_or_404(template_id: int) -> SavedTemplate:
    return scoped_or_404(SavedTemplate, template_id, Permission.MANAGE_CAMPAIGNS)


def _index(organisation: Organisation, status: int = 200, failed_id: int | None = None,
           error: str | None = None, form: TemplateNameForm | None = None) -> tuple[str, int]:
    return render_template("campaigns/templates.html", organisation=organisation, organisations=organisations(),
                           templates=service.templates_for(organisation.id), form=form or TemplateNameForm(formdata=None),
                           failed_id=failed_id, error=error), status


def _back(organisation_id: int) -> Response:
    return redirect(url_for("campaign_templates.index", organisatie=organisation_id))


@blueprint.route("/sjablonen")
@requires(Permission.MANAGE_CAMPAIGNS)
def index() -> tuple[str, int]:
    return _index(chosen_organisation())


@blueprint.route("/sjablonen/nieuw", methods=["GET", "POST"])
@requires(Permission.MANAGE_CAMPAIGNS)
def create() -> Response | tuple[str, int]:
    """A new own template from a shipped one (or the blank design), then straight into the editor."""
    organisation = chosen_organisation()
    form = NewTemplateForm(data={"template": "blank"})
    if request.method == "GET":
        return _new_page(organisation, form, 200)
    if not form.validate_on_submit():
        return _new_page(organisation, form, 400)
    try:
        template = service.create_from_library(organisation, form.name.data, form.template.data)
    except CampaignError as error:
        raise Refused(_new_page, organisation, form, 409 if isinstance(error, service.NameTaken) else 400,
                      str(error)) from error
    flash(_("Sjabloon “%(name)s” gemaakt.", name=template.name), "success")
    if template.visual_body is None:
        return redirect(url_for("campaign_editor.template_source", template_id=template.id))
    return redirect(url_for("campaign_editor.design_template", template_id=template.id))


def _new_page(organisation: Organisation, form: NewTemplateForm, status: int,
              error: str | None = None) -> tuple[str, int]:
    return render_template("campaigns/template_new.html", organisation=organisation, form=form,
                           error=error), status


@blueprint.post("/<int:campaign_id>/als-sjabloon")
@requires(Permission.MANAGE_CAMPAIGNS)
def save_campaign(campaign_id: int) -> Response | tuple[str, int]:
    """Keeps the campaign's content as a template of its organisation (any state: a sent one too)."""
    campaign = scoped_or_404(Campaign, campaign_id, Permission.MANAGE_CAMPAIGNS)
    organisation = db.session.get_one(Organisation, campaign.organisation_id)
    form = TemplateNameForm()
    if not form.validate_on_submit():
        return _index(organisation, 400, error=" ".join(str(e) for errors in form.errors.values() for e in errors))
    try:
        template = service.save_from_campaign(campaign, form.name.data)
    except service.NameTaken as error:
        raise Refused(_index, organisation, 409, error=str(error)) from error
    flash(_("Sjabloon “%(name)s” bewaard: kies het bij een nieuwe campagne.", name=template.name), "success")
    return _back(organisation.id)


@blueprint.post("/sjablonen/<int:template_id>/naam")
@requires(Permission.MANAGE_CAMPAIGNS)
def rename(template_id: int) -> Response | tuple[str, int]:
    template = _template_or_404(template_id)
    organisation = db.session.get_one(Organisation, template.organisation_id)
    form = TemplateNameForm()
    if not form.validate_on_submit():
        return _index(organisation, 400, failed_id=template.id, form=form)
    try:
        service.rename(template, form.name.data)
    except service.NameTaken as error:
        raise Refused(_index, organisation, 409, failed_id=template_id, error=str(error)) from error
    flash(_("De naam van het sjabloon is gewijzigd."), "success")
    return _back(organisation.id)


@blueprint.route("/sjablonen/<int:template_id>/verwijderen", methods=["GET", "POST"])
@requires(Permission.MANAGE_CAMPAIGNS)
def delete(template_id: int) -> Response | str:
    """GET asks for confirmation; POST deletes (campaigns started from it keep their own copy)."""
    template = _template_or_404(template_id)
    organisation_id = template.organisation_id
    if request.method == "GET":
        return render_template("campaigns/template_delete.html", template=template, form=FlaskForm())
    if not FlaskForm().validate_on_submit():
        abort(400)
    service.delete(template)
    flash(_("Het sjabloon is verwijderd."), "success")
    return _back(organisation_id)
