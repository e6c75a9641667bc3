"""The public effect forms (reached by one-time links, no account) and the organiser's settings page."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import NoReturn

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from core.permissions import Permission, public, requires, scoped_or_404
from effect import services, tokens
from effect.forms import SettingsForm, evaluation_form_for, followup_form_for, knowledge_form_for
from effect.models import EffectResponse
from events.models import Event, Registration
from events.services.registration import EventBusy
from events.tokens import TokenExpired as ManageTokenExpired
from events.tokens import TokenInvalid as ManageTokenInvalid
from events.tokens import registration_from_token
from extensions import db, limiter

blueprint = Blueprint("effect", __name__)


def _rate_limit() -> str:
    return current_app.config["EFFECT_RATE_LIMIT"]


def _refuse(error: services.EffectError) -> NoReturn:
    abort(409 if isinstance(error, services.AlreadyAnswered) else 403, description=str(error))


def _stored(form: FlaskForm, store: Callable[[], object]) -> bool:
    """Runs `store` when the form was posted and valid; a refusal becomes its Dutch error page."""
    if request.method != "POST" or not form.validate_on_submit():
        return False
    try:
        store()
    except services.EffectError as error:
        _refuse(error)
    except EventBusy as error:
        abort(503, description=str(error))
    return True


def _status() -> int:
    return 400 if request.method == "POST" else 200


def _from_token(token: str, salt: str, key: str) -> int:
    try:
        return tokens.read(token, salt, key)
    except tokens.TokenExpired:
        abort(410, description=_("Deze link is verlopen. Er wordt niets meer opgeslagen."))
    except tokens.TokenInvalid:
        abort(404, description=_("Deze link klopt niet. Gebruik de link uit uw e-mail."))


def _registration(token: str) -> Registration:
    registration = db.session.get(Registration, _from_token(token, tokens.EVALUATION_SALT, "r"))
    if registration is None:
        abort(404, description=_("Deze link klopt niet. Gebruik de link uit uw e-mail."))
    return registration


@blueprint.route("/vragenlijst/<token>", methods=["GET", "POST"])
@limiter.limit(_rate_limit, methods=["POST"])
@public
def evaluation(token: str) -> Response | tuple[str, int]:
    registration = _registration(token)
    try:
        settings = services.check_evaluation_open(registration)
    except services.EffectError as error:
        _refuse(error)
    form = evaluation_form_for(settings)
    if _stored(form, lambda: services.evaluate(registration, form.evaluation())):
        return redirect(url_for("effect.thanks"))
    return render_template("effect/evaluation.html", form=form, event=registration.event), _status()


@blueprint.route("/aanmelding/<token>/kennisvragen", methods=["GET", "POST"])
@limiter.limit(_rate_limit, methods=["POST"])
@public
def knowledge_before(token: str) -> Response | tuple[str, int]:
    try:
        registration = registration_from_token(token)
    except ManageTokenExpired:
        abort(410, description=_("Deze link is verlopen. Er wordt niets meer opgeslagen."))
    except ManageTokenInvalid:
        abort(404, description=_("Deze link klopt niet. Gebruik de link uit uw e-mail."))
    try:
        settings = services.check_knowledge_open(registration)
    except services.EffectError as error:
        _refuse(error)
    form = knowledge_form_for(settings)
    if _stored(form, lambda: services.answer_knowledge_before(registration, form.knowledge_answers())):
        flash(_("Bedankt! Na de bijeenkomst stellen we dezelfde vragen nog eens."), "success")
        return redirect(url_for("events.manage", token=token))
    return render_template("effect/knowledge.html", form=form, event=registration.event, token=token), _status()


@blueprint.route("/vervolgvraag/<token>", methods=["GET", "POST"])
@limiter.limit(_rate_limit, methods=["POST"])
@public
def followup(token: str) -> Response | tuple[str, int]:
    response = db.session.get(EffectResponse, _from_token(token, tokens.FOLLOWUP_SALT, "e"))
    if response is None:
        abort(404, description=_("Deze link klopt niet. Gebruik de link uit uw e-mail."))
    try:
        services.check_followup_open(response)
    except services.EffectError as error:
        _refuse(error)
    form = followup_form_for(response.intentions)
    if _stored(form, lambda: services.answer_followup(response.id, list(form.actions.data or []))):
        return redirect(url_for("effect.thanks"))
    return render_template("effect/followup.html", form=form, event=response.event), _status()


@blueprint.route("/vragenlijst/bedankt")
@public
def thanks() -> str:
    return render_template("effect/thanks.html")


@blueprint.app_template_global()
def knowledge_check_url(registration: Registration, token: str) -> str | None:
    """For the manage page: the knowledge check before the session, while it can be taken."""
    try:
        services.check_knowledge_open(registration)
    except services.EffectError:
        return None
    return url_for("effect.knowledge_before", token=token)


@blueprint.route("/beheer/evenementen/<int:event_id>/effect", methods=["GET", "POST"])
@requires(Permission.MANAGE_EVENTS)
def settings(event_id: int) -> Response | tuple[str, int]:
    event = scoped_or_404(Event, event_id, Permission.MANAGE_EVENTS)
    form = SettingsForm(data=asdict(services.settings_for(event)) if request.method == "GET" else None)
    if _stored(form, lambda: services.save_settings(event, form.settings())):
        flash(_("De vragenlijst is opgeslagen."), "success")
        return redirect(url_for("effect.settings", event_id=event.id))
    return render_template("effect/settings.html", form=form, event=event), _status()
