"""The door: scan or type a ticket code, search by name, undo, walk-ins, live counts.

Everything works without JavaScript (forms); `static/js/checkin.js` adds the camera, search as
you type and answers without a page load through the JSON endpoints. Every page needs CHECK_IN
in the event's organisation (404 otherwise).
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import format_time
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from core import audit
from core.db import Refused, keep_refusal
from core.permissions import Permission, can, organisation_ids_for, public, requires, scoped_or_404
from core.timeutils import utcnow
from events.forms.checkin import NONCE_PATTERN, ScanForm, WalkInForm, new_nonce
from events.labels import REFUSAL_LABELS, REGISTRATION_STATUS_LABELS, template_labels
from events.models import DOOR_CODE_ALPHABET, CheckinLog, CheckinResult, Event, EventStatus, RefusalReason, Registration
from events.services import checkin
from events.services.registration import EventBusy, RegistrationError, SignupData
from extensions import db, limiter

blueprint = Blueprint("events_checkin", __name__, url_prefix="/beheer/check-in")
blueprint.context_processor(template_labels)
blueprint.context_processor(lambda: {"new_nonce": new_nonce})

# HTTP status of each answer: the body always says what happened, the status says it was refused.
STATUS_FOR_REASON = {RefusalReason.UNKNOWN_CODE: 404, RefusalReason.OTHER_EVENT: 404}
RECENT_EVENTS = timedelta(days=2)
MAX_DEVICE = 100


@dataclass(frozen=True)
class Outcome:
    """What the door shows after a scan, in large type."""

    result: str  # checked_in, already_checked_in, undone, or the refusal reason
    tone: str  # ok, warning, error: the colour
    headline: str
    detail: str
    registration: Registration | None
    flagged: bool
    status: int


def _door_guess_limit() -> str:
    return current_app.config["DOOR_GUESS_RATE_LIMIT"]


def _per_user() -> str:
    return f"user:{current_user.get_id()}"


# Only unknown codes count (a 404): a busy door scanning real tickets is never slowed down.
guesses_limited = limiter.shared_limit(_door_guess_limit, scope="door-guess", key_func=_per_user,
                                       deduct_when=lambda response: response.status_code == 404)


def _event_or_404(event_id: int) -> Event:
    return scoped_or_404(Event, event_id, Permission.CHECK_IN)


def _door(event: Event, nonce: str, device: str | None, scanned_at: datetime | None = None) -> checkin.Door:
    return checkin.Door(user_id=current_user.id, nonce=nonce, device=device or None, scanned_at=scanned_at,
                        may_manage=can(current_user, Permission.MANAGE_EVENTS, event.organisation_id))


def describe(log: CheckinLog) -> Outcome:
    registration = log.registration
    name = registration.name if registration else ""
    if log.result == CheckinResult.CHECKED_IN:
        flagged = log.after_end
        detail = name + (" · " + _("na afloop ingecheckt (gemarkeerd)") if flagged else "")
        return Outcome("checked_in", "ok", _("Ingecheckt"), detail, registration, flagged, 200)
    if log.result == CheckinResult.ALREADY_CHECKED_IN:
        return Outcome("already_checked_in", "warning", _("Al ingecheckt"), _already(registration), registration,
                       False, 409)
    if log.result == CheckinResult.UNDONE:
        return Outcome("undone", "warning", _("Check-in ongedaan gemaakt"), name, registration, False, 200)
    reason = log.refusal_reason
    return Outcome(reason.value, "error", str(REFUSAL_LABELS[reason]), name, registration, False,
                   STATUS_FOR_REASON.get(reason, 409))


def _already(registration: Registration) -> str:
    if registration.checked_in_at is None:  # undone since: the answer to this scan stays "already"
        return registration.name
    by = registration.checked_in_by.name if registration.checked_in_by else _("onbekend")
    return _("%(name)s, om %(time)s door %(by)s", name=registration.name,
             time=format_time(registration.checked_in_at, "HH:mm"), by=by)


def _render_door(event: Event, form: ScanForm | None = None, outcome: Outcome | None = None,
                 error: str | None = None, status: int = 200) -> tuple[str, int]:
    search = request.args.get("zoek", "").strip()[:200]
    return render_template(
        "events/checkin/door.html",
        event=event,
        form=form or ScanForm(formdata=None),
        outcome=outcome,
        error=error,
        counts=checkin.attendance_counts(event.id),
        search=search,
        found=checkin.find_registrations(event.id, search),
        search_too_short=0 < len(search) < checkin.SEARCH_MIN_LENGTH,
        ended=utcnow() >= event.ends_at,
        may_manage=can(current_user, Permission.MANAGE_EVENTS, event.organisation_id),
        door_code_alphabet=DOOR_CODE_ALPHABET,
    ), status


def _run(action: Callable[[], CheckinLog], refused: Callable[[str], ResponseReturnValue]) -> CheckinLog:
    """Runs a door service. Its answer is committed whatever its status: a refused scan (unknown code,
    already in) is kept in the log too. A refusal of the service itself rolls back, then `refused(message)`
    answers; EventBusy is a 503 (app.refusal_codes)."""
    try:
        log = action()
    except EventBusy:
        raise
    except (checkin.CheckinError, RegistrationError) as error:
        raise Refused(refused, str(error)) from error
    keep_refusal()
    return log


@blueprint.route("/")
@requires(Permission.CHECK_IN)
def index() -> str:
    organisation_ids = organisation_ids_for(current_user, Permission.CHECK_IN)
    events = db.session.scalars(
        sa.select(Event)
        .where(Event.organisation_id.in_(organisation_ids), Event.status == EventStatus.PUBLISHED,
               Event.ends_at > utcnow() - RECENT_EVENTS)
        .options(joinedload(Event.organisation))
        .order_by(Event.starts_at, Event.id)
        .limit(50)
    ).all()
    return render_template("events/checkin/index.html", events=events)


@blueprint.route("/<int:event_id>")
@requires(Permission.CHECK_IN)
def door(event_id: int) -> tuple[str, int]:
    return _render_door(_event_or_404(event_id))


@blueprint.post("/<int:event_id>/scan")
@requires(Permission.CHECK_IN)
@guesses_limited
def scan(event_id: int) -> tuple[str, int]:
    event = _event_or_404(event_id)
    form = ScanForm()
    if not form.validate():
        return _render_door(event, form, status=400)
    result = _run(lambda: checkin.check_in(event.id, form.code.data, _door(event, form.nonce.data, form.device.data)),
                  lambda message: _render_door(event, form, error=message, status=409))
    outcome = describe(result)
    return _render_door(event, ScanForm(formdata=None, device=form.device.data), outcome, status=outcome.status)


@blueprint.post("/<int:event_id>/aanmeldingen/<int:registration_id>/ongedaan")
@requires(Permission.CHECK_IN)
def undo(event_id: int, registration_id: int) -> tuple[str, int]:
    event = _event_or_404(event_id)
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.event_id != event.id:
        abort(404)
    form = ScanForm(formdata=None, device=request.form.get("device", "")[:MAX_DEVICE])
    nonce = request.form.get("nonce", "")
    if not _valid_nonce(nonce):
        return _render_door(event, form, error=_("Ververs de pagina en probeer het opnieuw."), status=400)
    result = _run(lambda: checkin.undo_check_in(event.id, registration.id, _door(event, nonce, form.device.data)),
                  lambda message: _render_door(event, form, error=message, status=409))
    return _render_door(event, form, describe(result))


@blueprint.route("/<int:event_id>/binnenloop", methods=["GET", "POST"])
@requires(Permission.CHECK_IN)
def walk_in(event_id: int) -> tuple[str, int]:
    event = _event_or_404(event_id)
    may_manage = can(current_user, Permission.MANAGE_EVENTS, event.organisation_id)
    form = WalkInForm()
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("events/checkin/walk_in.html", event=event, form=form, may_manage=may_manage), status
    data = SignupData(name=form.name.data, email=form.email.data or None,
                      company_name=form.company_name.data or None, phone=form.phone.data or None)
    result = _run(lambda: checkin.walk_in(event.id, data, _door(event, form.nonce.data, form.device.data),
                                          over_capacity=form.over_capacity.data),
                  lambda message: (render_template("events/checkin/walk_in.html", event=event, form=form,
                                                   may_manage=may_manage, error=message), 409))
    audit.record("registration.walked_in", "registration", result.registration_id,
                 organisation_id=event.organisation_id)
    return _render_door(event, ScanForm(formdata=None, device=form.device.data), describe(result))


def _valid_nonce(nonce: object) -> bool:
    return isinstance(nonce, str) and re.fullmatch(NONCE_PATTERN, nonce) is not None


def _scanned_at(value: object) -> datetime | None:
    """The device's clock as ISO 8601 with an offset; ValueError for anything else."""
    if value is None:
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    if moment is None or moment.tzinfo is None or not 2000 <= moment.year <= 2099:
        raise ValueError(value)
    return moment


def _json_error(message: str, status: int) -> tuple[Response, int]:
    return jsonify({"error": message}), status


def _outcome_json(event: Event, outcome: Outcome) -> dict[str, object]:
    registration = outcome.registration
    counts = checkin.attendance_counts(event.id)
    return {
        "result": outcome.result,
        "tone": outcome.tone,
        "headline": outcome.headline,
        "detail": outcome.detail,
        "flagged": outcome.flagged,
        "registration_id": registration.id if registration else None,
        "checked_in": bool(registration and registration.checked_in_at),
        "counts": _counts_json(counts),
    }


def _counts_json(counts: checkin.AttendanceCounts) -> dict[str, int]:
    return {"registered": counts.registered, "checked_in": counts.checked_in, "expected": counts.expected}


@blueprint.post("/<int:event_id>/scan.json")
@requires(Permission.CHECK_IN)
@guesses_limited
def scan_json(event_id: int) -> tuple[Response, int]:
    event = _event_or_404(event_id)
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _json_error(_("Het verzoek klopt niet. Ververs de pagina en probeer het opnieuw."), 400)
    code, nonce, device = body.get("code"), body.get("nonce"), body.get("device")
    if not isinstance(code, str) or not code.strip() or len(code) > 200 or "\x00" in code:
        return _json_error(_("Vul de code van het toegangsbewijs in."), 400)
    if not _valid_nonce(nonce):
        return _json_error(_("Ververs de pagina en probeer het opnieuw."), 400)
    device = " ".join(device.split())[:MAX_DEVICE] if isinstance(device, str) and "\x00" not in device else None
    try:
        scanned_at = _scanned_at(body.get("scanned_at"))
    except ValueError:
        return _json_error(_("De tijd van het apparaat klopt niet."), 400)
    door = _door(event, nonce, device, scanned_at)
    result = _run(lambda: checkin.check_in(event.id, code.strip(), door), lambda message: _json_error(message, 409))
    outcome = describe(result)
    return jsonify(_outcome_json(event, outcome)), outcome.status


@blueprint.route("/<int:event_id>/zoek.json")
@requires(Permission.CHECK_IN)
def search_json(event_id: int) -> Response:
    """Answers as you type; fewer than two characters is a clear message, not an error."""
    event = _event_or_404(event_id)
    term = request.args.get("q", "").strip()[:200]
    if len(term) < checkin.SEARCH_MIN_LENGTH:
        return jsonify({"message": _("Typ minstens twee letters van een naam of e-mailadres."), "results": []})
    found = checkin.find_registrations(event.id, term)
    audit.record("registrations.searched", "event", event.id, organisation_id=event.organisation_id)
    message = "" if found else _("Niemand gevonden met '%(term)s'.", term=term)
    return jsonify({"message": message, "results": [_found_json(registration) for registration in found]})


def _found_json(registration: Registration) -> dict[str, object]:
    return {
        "id": registration.id,
        "name": registration.name,
        "email": registration.email or "",
        "company": registration.company_name or "",
        "status": registration.status.value,
        "status_label": str(REGISTRATION_STATUS_LABELS[registration.status]),
        "code": registration.checkin_code,
        "checked_in": _("Ingecheckt om %(time)s", time=format_time(registration.checked_in_at, "HH:mm"))
        if registration.checked_in_at else "",
    }


@blueprint.route("/<int:event_id>/lijst.json")
@requires(Permission.CHECK_IN)
def offline_list(event_id: int) -> Response:
    """The list a door device keeps for scanning without a connection: name, organisation and door
    code of each confirmed registration, never an address or phone number. `ticket` is the SHA-256
    of the QR secret (a device can recognise a scanned QR code without holding the secret);
    `checked_in` is the state at download. Not stored by any HTTP cache; the device deletes it
    when the event ends (`ends_at`)."""
    event = _event_or_404(event_id)
    people = checkin.offline_list(event.id)
    audit.record("registrations.offline_list", "event", event.id, organisation_id=event.organisation_id,
                 count=len(people))
    response = jsonify({"event_id": event.id, "ends_at": event.ends_at.isoformat(),
                        "fetched_at": utcnow().isoformat(), "people": [person.as_json() for person in people]})
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.route("/manifest.webmanifest")
@public
def manifest() -> Response:
    """The door as an installable web app, scoped to the door's pages. Public: it holds nothing but
    names and an icon, and browsers fetch manifests without cookies."""
    scope = url_for("events_checkin.index")
    body = {
        "name": _("Weerbaar check-in"), "short_name": _("Check-in"), "lang": "nl",
        "start_url": scope, "scope": scope, "display": "standalone",
        "background_color": "#ffffff", "theme_color": "#154273",
        "icons": [{"src": url_for("static", filename="img/door-icon.svg"), "sizes": "any",
                   "type": "image/svg+xml", "purpose": "any"}],
    }
    response = current_app.response_class(json.dumps(body, ensure_ascii=False), mimetype="application/manifest+json")
    response.headers["Cache-Control"] = "no-cache"
    return response


@blueprint.route("/door-sw.js")
@public
def service_worker() -> Response:
    """Served from the door's path, so its scope is the door's pages and nothing else of the site;
    `no-cache` so a changed worker reaches the devices on their next visit."""
    response = send_from_directory(current_app.static_folder or "static", "js/door-sw.js",
                                   mimetype="text/javascript", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = url_for("events_checkin.index")
    return response


@blueprint.route("/<int:event_id>/tellingen.json")
@requires(Permission.CHECK_IN)
def counts_json(event_id: int) -> Response:
    event = _event_or_404(event_id)
    return jsonify(_counts_json(checkin.attendance_counts(event.id)))

