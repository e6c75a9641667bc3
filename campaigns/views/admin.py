"""Admin pages for campaigns: library, editor with preview, pre-flight, test send, sending, statistics."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import format_number
from flask_babel import gettext as _
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from campaigns.forms import CampaignForm, NewCampaignForm, ScheduleForm, TestSendForm
from campaigns.models import Campaign, CampaignStatus, ContactAudience, EventRelation, Topic
from campaigns.services import ab_test, clicks, editor, groups, saved_templates, sending
from campaigns.services import campaigns as service
from campaigns.services.audiences import AudienceDefinition, recipient_count
from campaigns.services.statistics import statistics
from campaigns.views.scope import chosen_organisation, organisations
from core.db import Refused
from core.permissions import Permission, requires, scoped_or_404
from core.webutils import optional_id
from mailing.preview import sandboxed_html
from mailing.rendering import TemplateError

blueprint = Blueprint("campaigns", __name__, url_prefix="/beheer/campagnes")


def _campaign_or_404(campaign_id: int) -> Campaign:
    return scoped_or_404(Campaign, campaign_id, Permission.MANAGE_CAMPAIGNS)


@blueprint.route("/")
@requires(Permission.MANAGE_CAMPAIGNS)
def index() -> str:
    organisation = chosen_organisation()
    return render_template("campaigns/index.html", organisation=organisation, organisations=organisations(),
                           campaigns=service.campaigns_for(organisation.id))


@blueprint.route("/nieuw", methods=["GET", "POST"])
@requires(Permission.MANAGE_CAMPAIGNS)
def create() -> Response | tuple[str, int] | str:
    """A new campaign from a shipped template or from one of the organisation's own (listed after them)."""
    organisation = chosen_organisation()
    form = NewCampaignForm()
    own = saved_templates.templates_for(organisation.id)
    form.template.choices = [*form.template.choices, *(SelectChoice(saved_templates.choice_of(template),
                                                                    _("Eigen sjabloon: %(name)s", name=template.name))
                                                       for template in own)]
    if request.method == "POST":
        if not form.validate_on_submit():
            return render_template("campaigns/new.html", organisation=organisation, form=form), 400
        if (template := saved_templates.chosen(organisation.id, form.template.data)) is not None:
            campaign = saved_templates.start_campaign(organisation, form.name.data, template)
        else:
            campaign = service.create_campaign(organisation, form.name.data, form.template.data)
        page = "campaign_editor.design" if editor.opens_visually(campaign) else "campaigns.edit"
        return redirect(url_for(page, campaign_id=campaign.id))
    return render_template("campaigns/new.html", organisation=organisation, form=form)


@blueprint.route("/<int:campaign_id>")
@requires(Permission.MANAGE_CAMPAIGNS)
def show(campaign_id: int) -> str:
    campaign = _campaign_or_404(campaign_id)
    progress = sending.progress(campaign)
    stats = statistics(campaign)
    return render_template("campaigns/show.html", campaign=campaign, progress=progress, stats=stats,
                           progress_text=_progress_text(progress), links=clicks.link_clicks(campaign),
                           recipients=service.recipients_of(campaign), test_form=TestSendForm(),
                           schedule_form=ScheduleForm(), CampaignStatus=CampaignStatus,
                           subject_test=ab_test.result(campaign))


@blueprint.route("/<int:campaign_id>/voortgang.json")
@requires(Permission.MANAGE_CAMPAIGNS)
def progress_json(campaign_id: int) -> Response:
    campaign = _campaign_or_404(campaign_id)
    progress = sending.progress(campaign)
    return jsonify(status=progress.status.value, running=progress.status == CampaignStatus.SENDING,
                   total=progress.total, done=progress.done, percent=progress.percent, text=_progress_text(progress),
                   counts={status.value: n for status, n in progress.counts.items()})


def _progress_text(progress: sending.Progress) -> str:
    return _("%(done)s van %(total)s afgehandeld (%(percent)s%%).", done=format_number(progress.done),
             total=format_number(progress.total), percent=progress.percent)


def _campaign_form(campaign: Campaign) -> CampaignForm:
    form = CampaignForm(obj=campaign)
    organisation_id = campaign.organisation_id
    form.list_id.choices = [SelectChoice("", _("Alle contacten")),
                            *(SelectChoice(str(c.id), c.name) for c, _n in groups.counted(groups.LISTS, organisation_id))]
    form.tag_id.choices = [SelectChoice("", _("Geen label")),
                           *(SelectChoice(str(t.id), t.name) for t, _n in groups.counted(groups.TAGS, organisation_id))]
    form.event_id.choices = [SelectChoice("", _("Geen")),
                             *(SelectChoice(str(e.id), e.title) for e in service.audience_events(organisation_id))]
    form.event_ids.choices = [SelectChoice(e.id, e.title) for e in service.invitation_events(organisation_id)]
    return form


def _content(form: CampaignForm) -> service.CampaignContent:
    return service.CampaignContent(
        name=form.name.data, subject=form.subject.data, preheader=form.preheader.data or "",
        sender_name=form.sender_name.data, sender_address=form.sender_address.data,
        mjml_source=form.mjml_source.data.replace("\r\n", "\n"),
        audience=_audience(form), event_ids=tuple(form.event_ids.data or ()),
        track_clicks=form.track_clicks.data,
    )


def _audience(form: CampaignForm) -> AudienceDefinition:
    return AudienceDefinition(list_id=form.list_id.data, tag_id=form.tag_id.data, audience_type=form.audience_type.data,
                              municipality=form.municipality.data or None, topic=form.topic.data,
                              event_id=form.event_id.data, event_relation=form.event_relation.data)


@blueprint.route("/<int:campaign_id>/bewerken", methods=["GET", "POST"])
@requires(Permission.MANAGE_CAMPAIGNS)
def edit(campaign_id: int) -> Response | tuple[str, int] | str:
    campaign = _campaign_or_404(campaign_id)
    if not campaign.editable:
        abort(409, description=_("Deze campagne wordt verstuurd of is klaar; aanpassen kan niet meer."))
    form = _campaign_form(campaign)
    page = {"campaign": campaign, "form": form, "template_error": None, "counted": None}
    if request.method == "GET":
        return render_template("campaigns/edit.html", **page)
    if not form.validate_on_submit():
        return render_template("campaigns/edit.html", **page), 400
    if request.form.get("actie") == "tel":
        page["counted"] = recipient_count(campaign.organisation_id, _audience(form))
        return render_template("campaigns/edit.html", **page)
    try:
        service.update_campaign(campaign, _content(form))
    except service.SenderNotAllowed as error:
        form.sender_address.errors = [str(error)]
        return render_template("campaigns/edit.html", **page), 400
    except TemplateError as error:
        page["template_error"] = error
        raise Refused(_render_edit, page, 400) from error
    flash(_("De campagne is opgeslagen."), "success")
    return redirect(url_for("campaigns.edit", campaign_id=campaign.id))


def _render_edit(page: dict[str, object], status: int) -> tuple[str, int]:
    return render_template("campaigns/edit.html", **page), status


@blueprint.route("/<int:campaign_id>/ontvangers.json")
@requires(Permission.MANAGE_CAMPAIGNS)
def recipient_count_json(campaign_id: int) -> Response:
    """The live count for the editor's audience fields (static/js/campaign-editor.js)."""
    campaign = _campaign_or_404(campaign_id)
    args = request.args

    def enum_arg(name: str, enum_class: type) -> object:
        value = args.get(name, "")
        return enum_class(value) if value in enum_class._value2member_map_ else None

    definition = AudienceDefinition(
        list_id=optional_id(args.get("list_id", "")), tag_id=optional_id(args.get("tag_id", "")),
        audience_type=enum_arg("audience_type", ContactAudience),
        municipality=args.get("municipality", "").strip()[:100] or None, topic=enum_arg("topic", Topic),
        event_id=optional_id(args.get("event_id", "")), event_relation=enum_arg("event_relation", EventRelation),
    )
    return jsonify(count=recipient_count(campaign.organisation_id, definition))


@blueprint.route("/<int:campaign_id>/voorbeeld")
@requires(Permission.MANAGE_CAMPAIGNS)
def preview(campaign_id: int) -> Response:
    """The last good render, for the sandboxed preview frames only."""
    campaign = _campaign_or_404(campaign_id)
    base = urlsplit(current_app.config["BASE_URL"])
    return sandboxed_html(campaign.rendered_html or "", image_origin=f"{base.scheme}://{base.netloc}")  # uploads


@blueprint.post("/<int:campaign_id>/voorbeeld")
@requires(Permission.MANAGE_CAMPAIGNS)
def refresh_preview(campaign_id: int) -> tuple[Response, int]:
    """Live preview while typing (static/js/campaign-editor.js): a source that renders becomes the
    preview; one with an error leaves the last good render on screen and says what and where."""
    campaign = _campaign_or_404(campaign_id)
    source = request.form.get("mjml_source", "").replace("\r\n", "\n")
    try:
        service.refresh_preview(campaign, source, request.form.getlist("event_ids", type=int))
    except service.CampaignLocked as error:
        return jsonify(ok=False, error=str(error), line=None), 409
    except TemplateError as error:
        raise Refused(_preview_refused, str(error), error.line) from error
    return jsonify(ok=True, error=None, line=None), 200


def _preview_refused(error: str, line: int | None) -> tuple[Response, int]:
    return jsonify(ok=False, error=error, line=line), 400


@blueprint.route("/<int:campaign_id>/controle")
@requires(Permission.MANAGE_CAMPAIGNS)
def preflight(campaign_id: int) -> str:
    campaign = _campaign_or_404(campaign_id)
    return render_template("campaigns/preflight.html", campaign=campaign, findings=service.preflight(campaign))


@blueprint.post("/<int:campaign_id>/test")
@requires(Permission.MANAGE_CAMPAIGNS)
def send_test(campaign_id: int) -> Response | tuple[str, int]:
    campaign = _campaign_or_404(campaign_id)
    form = TestSendForm()
    if not form.validate_on_submit():
        return _show_with_errors(campaign, test_form=form)
    count = service.send_test(campaign, form.address_list())
    flash(_("De testmail staat klaar voor %(count)s adres(sen).", count=count), "success")
    return redirect(url_for("campaigns.show", campaign_id=campaign.id))


def _show_with_errors(campaign: Campaign, *, test_form: TestSendForm | None = None,
                      schedule_form: ScheduleForm | None = None, status: int = 400) -> tuple[str, int]:
    progress = sending.progress(campaign)
    return render_template("campaigns/show.html", campaign=campaign, progress=progress, stats=statistics(campaign),
                           progress_text=_progress_text(progress), links=clicks.link_clicks(campaign),
                           recipients=service.recipients_of(campaign), test_form=test_form or TestSendForm(),
                           schedule_form=schedule_form or ScheduleForm(), CampaignStatus=CampaignStatus,
                           subject_test=ab_test.result(campaign)), status


def _state_change(campaign_id: int, action: str, done_message: str) -> Response:
    """Launch, pause, resume or cancel; refused: CampaignError, a 409 (app.refusal_codes)."""
    campaign = _campaign_or_404(campaign_id)
    getattr(sending, action)(campaign.id)
    flash(done_message, "success")
    return redirect(url_for("campaigns.show", campaign_id=campaign_id))


@blueprint.post("/<int:campaign_id>/pauzeren")
@requires(Permission.MANAGE_CAMPAIGNS)
def pause(campaign_id: int) -> Response:
    return _state_change(campaign_id, "pause", _("De campagne is gepauzeerd."))


@blueprint.post("/<int:campaign_id>/hervatten")
@requires(Permission.MANAGE_CAMPAIGNS)
def resume(campaign_id: int) -> Response:
    return _state_change(campaign_id, "resume", _("De campagne wordt weer verstuurd."))


@blueprint.post("/<int:campaign_id>/annuleren")
@requires(Permission.MANAGE_CAMPAIGNS)
def cancel(campaign_id: int) -> Response:
    return _state_change(campaign_id, "cancel", _("De campagne is geannuleerd."))


@blueprint.post("/<int:campaign_id>/terug-naar-concept")
@requires(Permission.MANAGE_CAMPAIGNS)
def unschedule(campaign_id: int) -> Response:
    campaign = _campaign_or_404(campaign_id)
    sending.unschedule(sending.lock_campaign(campaign.id))  # refused: CampaignError, a 409
    flash(_("De campagne is weer een concept."), "success")
    return redirect(url_for("campaigns.show", campaign_id=campaign.id))
