"""Admin pages for events and their registrations.

Every page needs MANAGE_EVENTS; an event of an organisation the user may not manage is a 404.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm

from accounts.models import Organisation
from core import audit
from core.db import Refused
from core.paging import requested_page
from core.permissions import Permission, organisation_ids_for, organisations_for, requires, scoped_or_404
from core.timeutils import local_to_utc
from events import printing
from events.forms.admin import (
    CancelEventForm,
    ManualRegistrationForm,
    PublishForm,
    QuestionForm,
    duplicate_form,
    event_form,
)
from events.labels import template_labels
from events.models import Event, EventStatus, Question, Registration, RegistrationStatus
from events.services import management, queries
from events.services.export import attendance_export
from events.services.registration import EventBusy, RegistrationError, SignupData, cancel_registration
from extensions import db

blueprint = Blueprint("events_admin", __name__, url_prefix="/beheer/evenementen")
blueprint.context_processor(template_labels)

Parsed = TypeVar("Parsed")
Page = str | tuple[str, int] | Response
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _event_or_404(event_id: int) -> Event:
    return scoped_or_404(Event, event_id, Permission.MANAGE_EVENTS)


def _question_or_404(event: Event, question_id: int) -> Question:
    question = db.session.get(Question, question_id)
    if question is None or question.event_id != event.id or question.deleted_at is not None:
        abort(404)
    return question


def _registration_or_404(event: Event, registration_id: int) -> Registration:
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.event_id != event.id:
        abort(404)
    return registration


def _manageable_organisations() -> list[Organisation]:
    return organisations_for(current_user, Permission.MANAGE_EVENTS)


def _choice_arg(name: str, parse: Callable[[str], Parsed]) -> Parsed | None:
    value = request.args.get(name, "")
    try:
        return parse(value) if value else None
    except ValueError:
        return None


@blueprint.route("/")
@requires(Permission.MANAGE_EVENTS)
def index() -> str:
    organisation_ids = organisation_ids_for(current_user, Permission.MANAGE_EVENTS)
    chosen_organisation = _choice_arg("organisatie", int)
    filters = queries.AdminEventFilters(
        organisation_ids=organisation_ids,
        organisation_id=chosen_organisation if chosen_organisation in organisation_ids else None,
        status=_choice_arg("status", EventStatus),
        time=_choice_arg("wanneer", queries.TimeFilter),
    )
    listed = requested_page(lambda page: queries.event_overviews(filters, page), queries.ADMIN_PAGE_SIZE)
    return render_template(
        "events/admin/index.html",
        **listed.context("overviews"),
        filters=filters,
        organisations=_manageable_organisations(),
        EventStatus=EventStatus,
        TimeFilter=queries.TimeFilter,
    )


@blueprint.route("/nieuw", methods=["GET", "POST"])
@requires(Permission.MANAGE_EVENTS)
def create() -> Page:
    form = event_form(_manageable_organisations())
    if not form.validate_on_submit():
        return _render_event_form(form, None)
    try:
        event = management.create_event(form.event_data())
    except management.ManagementError as error:
        raise Refused(_render_event_form, form, None, status=409, error=str(error)) from error
    flash(_("De bijeenkomst is als concept opgeslagen."), "success")
    return redirect(url_for("events_admin.edit", event_id=event.id))


@blueprint.route("/<int:event_id>/bewerken", methods=["GET", "POST"])
@requires(Permission.MANAGE_EVENTS)
def edit(event_id: int) -> Page:
    event = _event_or_404(event_id)
    form = event_form(_manageable_organisations(), obj=event)
    if not form.validate_on_submit():
        return _render_event_form(form, event)
    try:
        update = management.update_event(event.id, form.event_data(), notify=form.notify_registrants.data)
    except management.CapacityBelowConfirmed as error:
        form.capacity.errors = [str(error)]
        raise Refused(_render_event_form, form, event, status=409) from error
    except management.ManagementError as error:
        raise Refused(_render_event_form, form, event, status=409, error=str(error)) from error
    flash(_("De wijzigingen zijn opgeslagen."), "success")
    if update.notified:
        flash(ngettext("%(num)s deelnemer krijgt de nieuwe gegevens per e-mail.",
                       "%(num)s deelnemers krijgen de nieuwe gegevens per e-mail.", update.notified), "success")
    if update.promoted:
        flash(ngettext("%(num)s persoon van de wachtlijst heeft een plaats gekregen en is gemaild.",
                       "%(num)s personen van de wachtlijst hebben een plaats gekregen en zijn gemaild.",
                       len(update.promoted)), "success")
    return redirect(url_for("events_admin.edit", event_id=event_id))


def _render_event_form(form: FlaskForm, event: Event | None, status: int | None = None,
                       error: str | None = None) -> tuple[str, int]:
    if status is None:
        status = 400 if form.is_submitted() else 200
    return render_template("events/admin/event_form.html", form=form, event=event, error=error,
                           EventStatus=EventStatus), status


@blueprint.route("/<int:event_id>/dupliceren", methods=["GET", "POST"])
@requires(Permission.MANAGE_EVENTS)
def duplicate(event_id: int) -> Page:
    event = _event_or_404(event_id)
    form = duplicate_form(_manageable_organisations(),
                          data={"organisation_id": event.organisation_id, "starts_at": event.starts_at})
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("events/admin/duplicate.html", form=form, event=event), status
    copy = management.duplicate_event(event.id, form.organisation_id.data, local_to_utc(form.starts_at.data))
    flash(_("De kopie is als concept opgeslagen. Controleer de gegevens en publiceer haar."), "success")
    return redirect(url_for("events_admin.edit", event_id=copy.id))


@blueprint.post("/<int:event_id>/publiceren")
@requires(Permission.MANAGE_EVENTS)
def publish(event_id: int) -> Page:
    event = _event_or_404(event_id)
    form = PublishForm()
    confirmed = bool(form.start_in_past_confirmed.data)
    if management.starts_in_the_past(event) and not confirmed and event.status == EventStatus.DRAFT:
        return render_template("events/admin/confirm_publish.html", event=event, form=form)
    management.publish_event(event.id, start_in_past_confirmed=confirmed)
    flash(_("De bijeenkomst is gepubliceerd."), "success")
    return redirect(url_for("events_admin.edit", event_id=event_id))


@blueprint.route("/<int:event_id>/depubliceren", methods=["GET", "POST"])
@requires(Permission.MANAGE_EVENTS)
def unpublish(event_id: int) -> Page:
    event = _event_or_404(event_id)
    if request.method == "GET":
        if event.status != EventStatus.PUBLISHED:
            abort(409, description=_("Alleen een gepubliceerde bijeenkomst kan terug naar concept."))
        return render_template("events/admin/confirm_unpublish.html", event=event, form=FlaskForm())
    management.unpublish_event(event.id)
    flash(_("De bijeenkomst is terug naar concept en niet meer openbaar. De aanmeldingen blijven bewaard."),
          "success")
    return redirect(url_for("events_admin.edit", event_id=event_id))


@blueprint.route("/<int:event_id>/annuleren", methods=["GET", "POST"])
@requires(Permission.MANAGE_EVENTS)
def cancel(event_id: int) -> Page:
    event = _event_or_404(event_id)
    if event.status == EventStatus.CANCELLED:
        abort(409, description=_("Deze bijeenkomst is al geannuleerd."))
    form = CancelEventForm()
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("events/admin/confirm_cancel.html", event=event, form=form,
                               counts=queries.status_counts(event.id), RegistrationStatus=RegistrationStatus), status
    mailed = management.cancel_event(event.id, form.reason.data)
    flash(ngettext("De bijeenkomst is geannuleerd. %(num)s aangemelde persoon krijgt een e-mail.",
                   "De bijeenkomst is geannuleerd. %(num)s aangemelde personen krijgen een e-mail.", mailed),
          "success")
    return redirect(url_for("events_admin.edit", event_id=event_id))


@blueprint.route("/<int:event_id>/vragen", methods=["GET", "POST"])
@requires(Permission.MANAGE_EVENTS)
def questions(event_id: int) -> Page:
    event = _event_or_404(event_id)
    form = QuestionForm()
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("events/admin/questions.html", event=event, form=form), status
    management.add_question(event.id, form.question_data())
    flash(_("De vraag is toegevoegd."), "success")
    return redirect(url_for("events_admin.questions", event_id=event_id))


@blueprint.route("/<int:event_id>/vragen/<int:question_id>/bewerken", methods=["GET", "POST"])
@requires(Permission.MANAGE_EVENTS)
def edit_question(event_id: int, question_id: int) -> Page:
    event = _event_or_404(event_id)
    question = _question_or_404(event, question_id)
    form = QuestionForm(obj=question, option_lines="\n".join(question.options))
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("events/admin/question_form.html", event=event, question=question,
                               form=form), status
    management.update_question(question, form.question_data())
    flash(_("De vraag is opgeslagen."), "success")
    return redirect(url_for("events_admin.questions", event_id=event_id))


@blueprint.route("/<int:event_id>/vragen/<int:question_id>/verwijderen", methods=["GET", "POST"])
@requires(Permission.MANAGE_EVENTS)
def delete_question(event_id: int, question_id: int) -> Page:
    event = _event_or_404(event_id)
    question = _question_or_404(event, question_id)
    if request.method == "GET":
        return render_template("events/admin/confirm_delete_question.html", event=event, question=question,
                               has_answers=management.has_answers(question), form=FlaskForm())
    kept = management.delete_question(question)
    if kept:
        flash(_("De vraag staat niet meer op het formulier. De gegeven antwoorden blijven bewaard en in de export."),
              "success")
    else:
        flash(_("De vraag is verwijderd."), "success")
    return redirect(url_for("events_admin.questions", event_id=event_id))


@blueprint.post("/<int:event_id>/vragen/<int:question_id>/verplaatsen")
@requires(Permission.MANAGE_EVENTS)
def move_question(event_id: int, question_id: int) -> Response:
    event = _event_or_404(event_id)
    question = _question_or_404(event, question_id)
    direction = {"omhoog": management.Direction.UP, "omlaag": management.Direction.DOWN}.get(
        request.form.get("richting", ""))
    if direction is None:
        abort(400)
    management.move_question(question, direction)
    return redirect(url_for("events_admin.questions", event_id=event_id, _anchor=f"vraag-{question_id}"))


@blueprint.route("/<int:event_id>/aanmeldingen")
@requires(Permission.MANAGE_EVENTS)
def registrations(event_id: int) -> str:
    event = _event_or_404(event_id)
    filters = queries.RegistrationFilters(
        search=request.args.get("zoek", "").strip()[:200],
        status=_choice_arg("status", RegistrationStatus),
    )
    listed = requested_page(lambda page: queries.event_registrations(event.id, filters, page), queries.ADMIN_PAGE_SIZE)
    audit.record("registrations.viewed", "event", event.id, organisation_id=event.organisation_id, page=listed.page)
    return render_template(
        "events/admin/registrations.html",
        event=event,
        **listed.context("registrations"),
        filters=filters,
        counts=queries.status_counts(event.id),
        RegistrationStatus=RegistrationStatus,
    )


@blueprint.route("/<int:event_id>/aanmeldingen/nieuw", methods=["GET", "POST"])
@requires(Permission.MANAGE_EVENTS)
def add_registration(event_id: int) -> Page:
    event = _event_or_404(event_id)
    form = ManualRegistrationForm()
    if not form.validate_on_submit():
        return _render_registration_form(event, form, 400 if form.is_submitted() else 200)
    data = SignupData(name=form.name.data, email=form.email.data,
                      company_name=form.company_name.data or None, phone=form.phone.data or None)
    try:
        registration, is_new = management.add_registration(event.id, data, current_user.id)
    except EventBusy:
        raise  # 503 (app.refusal_codes)
    except RegistrationError as error:
        raise Refused(_render_registration_form, event, form, 409, str(error)) from error
    audit.record("registration.added", "registration", registration.id, organisation_id=event.organisation_id)
    if not is_new:
        flash(_("Dit e-mailadres was al aangemeld; de link om de aanmelding te beheren is opnieuw gemaild."), "info")
    elif registration.status == RegistrationStatus.WAITLISTED:
        flash(_("De bijeenkomst is vol: %(name)s staat op de wachtlijst en krijgt een e-mail.",
                name=registration.name), "success")
    else:
        flash(_("%(name)s is aangemeld en krijgt een bevestiging per e-mail.", name=registration.name), "success")
    return redirect(url_for("events_admin.registrations", event_id=event_id))


def _render_registration_form(event: Event, form: FlaskForm, status: int, error: str | None = None) -> tuple[str, int]:
    return render_template("events/admin/registration_form.html", event=event, form=form, error=error), status


@blueprint.route("/<int:event_id>/aanmeldingen/<int:registration_id>/annuleren", methods=["GET", "POST"])
@requires(Permission.MANAGE_EVENTS)
def cancel_signup(event_id: int, registration_id: int) -> Page:
    event = _event_or_404(event_id)
    registration = _registration_or_404(event, registration_id)
    if request.method == "GET":
        return render_template("events/admin/confirm_cancel_registration.html", event=event,
                               registration=registration, form=FlaskForm())
    audit.record("registration.cancelled", "registration", registration.id, organisation_id=event.organisation_id)
    promoted = cancel_registration(registration, by_organiser=True)
    flash(_("De aanmelding van %(name)s is geannuleerd; de persoon krijgt een e-mail.", name=registration.name),
          "success")
    for person in promoted:
        flash(_("%(name)s kreeg de vrijgekomen plaats en is gemaild.", name=person.name), "success")
    return redirect(url_for("events_admin.registrations", event_id=event_id))


@blueprint.route("/<int:event_id>/aanmeldingen.csv")
@requires(Permission.MANAGE_EVENTS)
def export(event_id: int) -> Response:
    return _attendance_download(event_id, "csv")


@blueprint.route("/<int:event_id>/aanmeldingen.xlsx")
@requires(Permission.MANAGE_EVENTS)
def export_xlsx(event_id: int) -> Response:
    return _attendance_download(event_id, "xlsx")


@blueprint.route("/<int:event_id>/presentielijst.pdf")
@requires(Permission.MANAGE_EVENTS)
def attendance_sheet(event_id: int) -> Response:
    return _printed(event_id, "presentielijst", printing.attendance_sheet)


@blueprint.route("/<int:event_id>/naambadges.pdf")
@requires(Permission.MANAGE_EVENTS)
def badges(event_id: int) -> Response:
    return _printed(event_id, "naambadges", printing.badges)


def _printed(event_id: int, name: str, build: Callable[[Event], bytes]) -> Response:
    """Personal data on paper: audited like the exports."""
    event = _event_or_404(event_id)
    body = build(event)
    audit.record("registrations.printed", "event", event.id, organisation_id=event.organisation_id, kind=name)
    response = Response(body, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}-{event.slug}.pdf"'
    return response


def _attendance_download(event_id: int, suffix: str) -> Response:
    event = _event_or_404(event_id)
    attendance = attendance_export(event.id)
    audit.record("registrations.exported", "event", event.id, organisation_id=event.organisation_id, format=suffix)
    body, mimetype = (attendance.csv(), "text/csv") if suffix == "csv" else (attendance.xlsx(), XLSX_MIMETYPE)
    response = Response(stream_with_context(body), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="aanmeldingen-{event.slug}.{suffix}"'
    return response
