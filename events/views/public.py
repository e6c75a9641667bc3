"""Public pages: listing, event detail with sign-up, confirmation, manage/cancel a registration."""
from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from core.db import Refused
from core.paging import requested_page
from core.permissions import public
from core.webutils import safe_local_target
from events import ics
from events.feed import event_document
from events.forms.public import (
    CancelRegistrationForm,
    DetailsForm,
    SignupForm,
    details_form_for,
    signup_form_for,
)
from events.labels import template_labels
from events.models import Audience, EventKind, EventStatus, Registration, RegistrationStatus
from events.notifications import calendar_domain, calendar_entry, event_url
from events.online import is_online_only, link_for, link_held_back
from events.services import queries
from events.services.registration import (
    EventBusy,
    EventFull,
    RegistrationError,
    SignupData,
    cancel_registration,
    register,
    waitlist_position,
)
from events.services.self_service import DetailsData, editing_closed_reason, update_own_details
from events.signals import signed_up as signed_up_signal
from events.tickets import ticket_svg
from events.tokens import TokenExpired, TokenInvalid, registration_from_token
from extensions import limiter
from selfhelp.services import has_published_pages

blueprint = Blueprint("events", __name__)
FEED_SIZE = 500
blueprint.app_context_processor(template_labels)


def _signup_rate_limit() -> str:
    return current_app.config["SIGNUP_RATE_LIMIT"]


def _manage_rate_limit() -> str:
    return current_app.config["MANAGE_RATE_LIMIT"]


def _enum_arg(name: str, enum_class: type[Audience] | type[EventKind]) -> Audience | EventKind | None:
    value = request.args.get(name, "")
    return enum_class(value) if value in enum_class._value2member_map_ else None


def filters_from_args() -> queries.EventFilters:
    return queries.EventFilters(
        audience=_enum_arg("doelgroep", Audience),
        kind=_enum_arg("soort", EventKind),
        organisation_slug=request.args.get("organisatie") or None,
    )


@blueprint.route("/")
@public
def listing() -> str:
    filters = filters_from_args()
    listed = requested_page(lambda page: queries.upcoming_events(filters, page), queries.PAGE_SIZE)
    organisations = queries.organisations_with_events()
    chosen = next((o for o in organisations if o.slug == filters.organisation_slug), None)
    return render_template(
        "events/listing.html",
        **listed.context("listings"),
        filters=filters,
        organisations=organisations,
        selfhelp_of=chosen if chosen and has_published_pages(chosen.id) else None,
        Audience=Audience,
        EventKind=EventKind,
    )


@blueprint.route("/evenementen.ics")
@public
def calendar_feed() -> Response:
    """An iCal feed of the upcoming events (same filters as the listing) for calendars and websites."""
    listings, _total = queries.upcoming_events(filters_from_args(), page_size=FEED_SIZE)
    entries = [ics.Entry(item.event, event_url(item.event)) for item in listings]  # never the online link
    body = ics.calendar(entries, calendar_domain(), name=_("Bijeenkomsten"))
    return Response(body, mimetype="text/calendar", headers={"Cache-Control": "public, max-age=300"})


@blueprint.route("/evenementen.json")
@public
def json_feed() -> Response:
    """The upcoming events as JSON (same filters as the listing): the first feed, kept for the sites that use
    it; each event has the open API's shape (`/api/v1/openapi.json`, schema `Event`)."""
    listings, total = queries.upcoming_events(filters_from_args(), page_size=FEED_SIZE)
    response = jsonify({"total": total, "events": [event_document(item) for item in listings]})
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def _listing_or_404(event_id: int, slug: str) -> queries.EventListing | Response:
    listing = queries.public_event(event_id)
    if listing is None:
        abort(404)
    if listing.event.slug != slug:
        return redirect(url_for("events.detail", event_id=event_id, slug=listing.event.slug), 301)
    return listing


@blueprint.route("/evenementen/<int:event_id>/<slug>", methods=["GET", "POST"])
@limiter.limit(_signup_rate_limit, methods=["POST"])
@public
def detail(event_id: int, slug: str) -> Response | tuple[str, int] | str:
    listing = _listing_or_404(event_id, slug)
    if isinstance(listing, Response):
        return listing
    form = signup_form_for(listing.event)
    if request.method == "GET":
        return _render_detail(listing, form)
    if not form.validate_on_submit():
        return _render_detail(listing, form, status=400)
    if form.is_bot():
        return _signed_up(listing, form.email.data)
    try:
        registration = register(listing.event.id, _signup_data(form))
    except EventBusy as error:
        raise Refused(_render_detail, listing, form, status=503, error=str(error)) from error
    except (EventFull, RegistrationError) as error:
        raise Refused(_render_refused_detail, event_id, listing, form, str(error)) from error
    if form.sections:
        signed_up_signal.send(current_app._get_current_object(), registration=registration,
                              answers=form.section_answers())
    return _signed_up(listing, form.email.data)


def _signup_data(form: SignupForm) -> SignupData:
    return SignupData(
        name=form.name.data,
        email=form.email.data,
        company_name=form.company_name.data or None,
        phone=form.phone.data or None,
        answers=form.answers(),
        keep_informed=form.keep_informed.data,
        source=request.args.get("bron") or None,
    )


def _signed_up(listing: queries.EventListing, email: str) -> Response:
    session["signed_up_email"] = email
    return redirect(url_for("events.signed_up", event_id=listing.event.id, slug=listing.event.slug))


def _render_detail(listing: queries.EventListing, form: SignupForm, status: int = 200,
                   error: str | None = None) -> tuple[str, int]:
    return render_template("events/detail.html", listing=listing, event=listing.event, form=form,
                           error=error, Availability=queries.Availability), status


def _render_refused_detail(event_id: int, listing: queries.EventListing, form: SignupForm,
                           error: str) -> tuple[str, int]:
    """After the rollback: the seats as they are now (the event may have filled up meanwhile)."""
    return _render_detail(queries.public_event(event_id) or listing, form, status=409, error=error)


@blueprint.route("/evenementen/<int:event_id>/<slug>/aangemeld")
@public
def signed_up(event_id: int, slug: str) -> Response | str:
    """The same page for a new sign-up and a repeated one: nobody can probe who registered."""
    listing = _listing_or_404(event_id, slug)
    if isinstance(listing, Response):
        return listing
    return render_template("events/signed_up.html", event=listing.event, email=session.get("signed_up_email"))


def _registration_or_error(token: str) -> Registration:
    try:
        return registration_from_token(token)
    except TokenExpired:
        abort(410, description=_("Deze link is verlopen. Neem contact op met de organisator."))
    except TokenInvalid:
        abort(404, description=_("Deze link klopt niet. Gebruik de link uit uw e-mail."))


@blueprint.route("/aanmelding/<token>")
@public
def manage(token: str) -> str:
    registration = _registration_or_error(token)
    return render_template(
        "events/manage.html",
        registration=registration,
        event=registration.event,
        position=waitlist_position(registration),
        ticket=ticket_svg(registration) if _has_ticket(registration) else None,
        online_link=link_for(registration),
        link_follows=link_held_back(registration),
        calendar_links=_calendar_links(registration),
        can_edit=editing_closed_reason(registration) is None,
        can_cancel=_can_cancel(registration),
        token=token,
        RegistrationStatus=RegistrationStatus,
    )


def _has_ticket(registration: Registration) -> bool:
    return _can_attend(registration) and not is_online_only(registration.event)


def _can_attend(registration: Registration) -> bool:
    return registration.status == RegistrationStatus.CONFIRMED and registration.event.status != EventStatus.CANCELLED


def _can_cancel(registration: Registration) -> bool:
    return registration.status != RegistrationStatus.CANCELLED and registration.event.status != EventStatus.CANCELLED


def _calendar_links(registration: Registration) -> dict[str, str] | None:
    if not _can_attend(registration):
        return None
    entry = calendar_entry(registration)
    return {"google": ics.google_calendar_url(entry), "outlook": ics.outlook_calendar_url(entry)}


@blueprint.route("/aanmelding/<token>/agenda.ics")
@public
def manage_calendar(token: str) -> Response:
    """The person's own calendar file: with the online link once they may have it."""
    registration = _registration_or_error(token)
    if not _can_attend(registration):
        abort(404, description=_("Er is geen agenda-afspraak: u heeft (nog) geen plaats bij deze bijeenkomst."))
    body = ics.calendar([calendar_entry(registration)], calendar_domain())
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": 'attachment; filename="bijeenkomst.ics"',
        "Cache-Control": "private, no-store",
    })


@blueprint.route("/aanmelding/<token>/annuleren", methods=["GET", "POST"])
@limiter.limit(_manage_rate_limit, methods=["POST"])
@public
def cancel(token: str) -> Response | tuple[str, int]:
    """Two steps: the manage page links here, and only this page's form cancels."""
    registration = _registration_or_error(token)
    form = CancelRegistrationForm()
    if not _can_cancel(registration):
        return redirect(url_for("events.manage", token=token))
    if not form.validate_on_submit():
        return _render_cancel(registration, form, token)
    cancel_registration(registration)  # refused: EventBusy 503, RegistrationError 409 (app.refusal_codes)
    flash(_("Uw aanmelding is geannuleerd."), "success")
    return redirect(url_for("events.manage", token=token))


def _render_cancel(registration: Registration, form: CancelRegistrationForm, token: str) -> tuple[str, int]:
    status = 400 if form.is_submitted() else 200
    return render_template("events/manage_cancel.html", registration=registration, event=registration.event,
                           form=form, token=token), status


@blueprint.route("/aanmelding/<token>/wijzigen", methods=["GET", "POST"])
@limiter.limit(_manage_rate_limit, methods=["POST"])
@public
def edit_details(token: str) -> Response | tuple[str, int]:
    """The person corrects name, organisation, phone and answers until registration closes."""
    registration = _registration_or_error(token)
    closed = editing_closed_reason(registration)
    form = details_form_for(registration.event, obj=registration, data=_stored_answers(registration))
    if closed:
        return _render_details(registration, form, token, error=closed, status=409 if form.is_submitted() else 200)
    if not form.validate_on_submit():
        return _render_details(registration, form, token)
    update_own_details(registration, DetailsData(
        name=form.name.data,
        company_name=form.company_name.data or None,
        phone=form.phone.data or None,
        answers=form.answers(),
    ))  # refused after the lock (cancelled meanwhile, closed): RegistrationError 409
    flash(_("Uw gegevens zijn opgeslagen."), "success")
    return redirect(url_for("events.manage", token=token))


def _stored_answers(registration: Registration) -> dict[str, object]:
    return {f"question_{key}": value for key, value in (registration.answers or {}).items()}


def _render_details(registration: Registration, form: DetailsForm, token: str, error: str | None = None,
                    status: int | None = None) -> tuple[str, int]:
    if status is None:
        status = 400 if form.is_submitted() else 200
    return render_template("events/manage_details.html", registration=registration, event=registration.event,
                           form=form, token=token, error=error), status


@blueprint.post("/taal")
@public
def set_language() -> Response:
    language = request.form.get("lang", "nl")
    if language in current_app.config["LANGUAGES"]:
        session["lang"] = language
    return redirect(safe_local_target(request.form.get("next")) or url_for("events.listing"))
