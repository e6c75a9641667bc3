"""Sending with a confirmation step: the page that says what will happen, and the click that does it;
scheduling the same way; duplicating a campaign."""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from campaigns.forms import ScheduleForm, SubjectTestForm
from campaigns.models import Campaign
from campaigns.services import ab_test, confirmation, sending
from campaigns.services.campaigns import recipients_of
from campaigns.services.duplicating import duplicate_campaign
from core.db import Refused
from core.permissions import Permission, requires, scoped_or_404
from core.timeutils import local_to_utc

blueprint = Blueprint("campaign_sending", __name__, url_prefix="/beheer/campagnes")

FINGERPRINT_FIELD = "vingerafdruk"


def _campaign_or_404(campaign_id: int) -> Campaign:
    return scoped_or_404(Campaign, campaign_id, Permission.MANAGE_CAMPAIGNS)


def _confirm_page(campaign: Campaign, *, moment: datetime | None = None, form: ScheduleForm | None = None,
                  changed: bool = False, status: int = 200) -> tuple[str, int]:
    """The page for a send, or (with `form`) for a schedule: with its button only once a moment is chosen."""
    return render_template("campaigns/confirm_send.html", campaign=campaign, form=form,
                           summary=confirmation.summary(campaign, moment), changed=changed,
                           fingerprint_field=FINGERPRINT_FIELD), status


@blueprint.route("/<int:campaign_id>/versturen")
@requires(Permission.MANAGE_CAMPAIGNS)
def confirm_launch(campaign_id: int) -> tuple[str, int]:
    return _confirm_page(_campaign_or_404(campaign_id))


@blueprint.post("/<int:campaign_id>/versturen")
@requires(Permission.MANAGE_CAMPAIGNS)
def launch(campaign_id: int) -> Response:
    """Sends what the confirmation page showed, or shows the page again. Small audiences are written
    at once; a large one by the next tick, not inside this request."""
    campaign = sending.lock_campaign(_campaign_or_404(campaign_id).id)
    confirmed = request.form.get(FINGERPRINT_FIELD, "")
    if not confirmation.still_as_confirmed(campaign, confirmed):
        raise Refused(_confirm_page, campaign, changed=bool(confirmed), status=409)
    if recipients_of(campaign) > current_app.config["CAMPAIGN_INLINE_LAUNCH_LIMIT"]:
        sending.launch_soon(campaign.id)  # refused: CampaignError, a 409 (app.refusal_codes)
        flash(_("De campagne heeft veel ontvangers en wordt binnen een minuut gestart."), "success")
    else:
        sending.launch(campaign.id)
        flash(_("De campagne wordt verstuurd."), "success")
    return redirect(url_for("campaigns.show", campaign_id=campaign.id))


def _moment(form: ScheduleForm) -> datetime | None:
    return local_to_utc(form.moment.data) if form.moment.data else None


@blueprint.route("/<int:campaign_id>/inplannen")
@requires(Permission.MANAGE_CAMPAIGNS)
def confirm_schedule(campaign_id: int) -> tuple[str, int]:
    campaign = _campaign_or_404(campaign_id)
    form = ScheduleForm(request.args, meta={"csrf": False})
    if "moment" not in request.args:
        return _confirm_page(campaign, form=form)
    if not form.validate():
        return _confirm_page(campaign, form=form, status=400)
    return _confirm_page(campaign, moment=_moment(form), form=form)


@blueprint.post("/<int:campaign_id>/inplannen")
@requires(Permission.MANAGE_CAMPAIGNS)
def schedule(campaign_id: int) -> Response | tuple[str, int]:
    campaign = _campaign_or_404(campaign_id)
    form = ScheduleForm()
    if not form.validate_on_submit():
        return _confirm_page(campaign, form=form, status=400)
    moment = _moment(form)
    campaign = sending.lock_campaign(campaign.id)
    confirmed = request.form.get(FINGERPRINT_FIELD, "")
    if not confirmation.still_as_confirmed(campaign, confirmed, moment):
        raise Refused(_confirm_page, campaign, moment=moment, form=form, changed=bool(confirmed), status=409)
    try:
        sending.schedule(campaign, moment)
    except sending.CampaignError as error:
        form.moment.errors = [str(error)]
        raise Refused(_confirm_page, campaign, moment=moment, form=form, status=409) from error
    flash(_("De campagne is ingepland."), "success")
    return redirect(url_for("campaigns.show", campaign_id=campaign.id))


@blueprint.post("/<int:campaign_id>/kopieren")
@requires(Permission.MANAGE_CAMPAIGNS)
def duplicate(campaign_id: int) -> Response:
    copy = duplicate_campaign(_campaign_or_404(campaign_id))
    flash(_("De campagne is gekopieerd. U bewerkt nu de kopie."), "success")
    return redirect(url_for("campaigns.show", campaign_id=copy.id))


@blueprint.route("/<int:campaign_id>/onderwerptest", methods=["GET", "POST"])
@requires(Permission.MANAGE_CAMPAIGNS)
def subject_test(campaign_id: int) -> Response | tuple[str, int]:
    """Sets up, changes or removes the subject test (A/B) of a campaign not yet sent."""
    campaign = _campaign_or_404(campaign_id)
    existing = ab_test.subject_test_of(campaign)
    form = SubjectTestForm(obj=existing)
    if request.method == "GET":
        return _subject_test_page(campaign, form, existing is not None, 200)
    if request.form.get("actie") == "verwijderen":
        ab_test.set_test(campaign, None)  # refused: CampaignError (sent already), a 409
        flash(_("De onderwerptest is verwijderd."), "success")
        return redirect(url_for("campaigns.show", campaign_id=campaign.id))
    if not form.validate_on_submit():
        return _subject_test_page(campaign, form, existing is not None, 400)
    try:
        ab_test.set_test(campaign, ab_test.TestSettings(form.subject_b.data, form.test_percent.data,
                                                        form.wait_minutes.data))
    except ab_test.SubjectsEqual as error:
        form.subject_b.errors = [str(error)]
        raise Refused(_subject_test_page, campaign, form, existing is not None, 400) from error
    flash(_("De onderwerptest is opgeslagen."), "success")
    return redirect(url_for("campaigns.show", campaign_id=campaign.id))


def _subject_test_page(campaign: Campaign, form: SubjectTestForm, exists: bool, status: int) -> tuple[str, int]:
    return render_template("campaigns/subject_test.html", campaign=campaign, form=form, exists=exists,
                           criterion=ab_test.criterion(campaign)), status
