"""Public pages: subscribe (double opt-in), confirm, one-click unsubscribe, preferences."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from accounts.models import Organisation
from campaigns import tokens
from campaigns.forms import PreferencesForm, SubscribeForm
from campaigns.labels import template_labels
from campaigns.models import Contact, ContactAudience, ContactStatus, Topic
from campaigns.services import clicks, consent
from core.permissions import public
from extensions import csrf, db, limiter

blueprint = Blueprint("newsletter", __name__, url_prefix="/nieuwsbrief")
blueprint.app_context_processor(template_labels)


def _subscribe_rate_limit() -> str:
    return current_app.config["SIGNUP_RATE_LIMIT"]


def _organisation_or_404(slug: str) -> Organisation:
    organisation = db.session.scalar(sa.select(Organisation).where(Organisation.slug == slug))
    if organisation is None:
        abort(404)
    return organisation


def _contact_or_error(salt: str, token: str) -> tuple[Contact, dict]:
    try:
        return consent.contact_from_link(salt, token)
    except tokens.TokenInvalid:
        abort(404, description=_("Deze link klopt niet. Gebruik de link uit uw e-mail."))


@blueprint.route("/<slug>", methods=["GET", "POST"])
@limiter.limit(_subscribe_rate_limit, methods=["POST"])
@public
def subscribe(slug: str) -> Response | tuple[str, int] | str:
    organisation = _organisation_or_404(slug)
    form = SubscribeForm()
    if request.method == "GET":
        return render_template("campaigns/public/subscribe.html", organisation=organisation, form=form,
                               consent_version=consent.CONSENT_TEXT_VERSION)
    if not form.validate_on_submit():
        return render_template("campaigns/public/subscribe.html", organisation=organisation, form=form,
                               consent_version=consent.CONSENT_TEXT_VERSION), 400
    consent.request_subscription(organisation, form.subscription(request.remote_addr))
    return redirect(url_for("newsletter.check_mailbox", slug=slug))


@blueprint.route("/<slug>/controleer-uw-mail")
@public
def check_mailbox(slug: str) -> str:
    """The same page for a new address and a known one: nobody can probe who subscribed."""
    return render_template("campaigns/public/check_mailbox.html", organisation=_organisation_or_404(slug))


@blueprint.route("/bevestigen/<token>", methods=["GET", "POST"])
@public
def confirm(token: str) -> tuple[str, int] | str:
    """GET shows a button, POST confirms: link scanners in mail filters only ever GET."""
    if request.method == "GET":
        _check_confirm_link(token)
        return render_template("campaigns/public/confirm.html", token=token)
    try:
        contact = consent.confirm(token)
    except (tokens.TokenInvalid, tokens.TokenExpired, consent.LinkUsed) as error:
        return _confirm_link_error(error)
    return render_template("campaigns/public/confirmed.html", contact=contact,
                           preferences_url=tokens.preferences_url(contact.id))


def _check_confirm_link(token: str) -> None:
    try:
        payload = tokens.read_token(tokens.CONFIRM_SALT, token, current_app.config["CONTACT_CONFIRM_MAX_AGE_SECONDS"])
    except (tokens.TokenInvalid, tokens.TokenExpired) as error:
        _confirm_link_error(error)
        return
    contact = db.session.get(Contact, payload["c"])
    if contact is None:
        _confirm_link_error(tokens.TokenInvalid())
    elif contact.confirm_nonce != payload.get("n"):
        _confirm_link_error(consent.LinkUsed())


def _confirm_link_error(error: Exception) -> tuple[str, int]:
    if isinstance(error, tokens.TokenExpired):
        abort(410, description=_("Deze bevestigingslink is verlopen. Meld u opnieuw aan om een nieuwe te krijgen."))
    if isinstance(error, consent.LinkUsed):
        abort(410, description=_("Deze bevestigingslink is al gebruikt of vervangen door een nieuwere."))
    abort(404, description=_("Deze link klopt niet. Gebruik de link uit uw e-mail."))


@blueprint.route("/afmelden/<token>", methods=["GET", "POST"])
@public
def unsubscribe(token: str) -> str:
    """GET: a page with one button (works without JavaScript). POST: unsubscribes at once; this is
    also the RFC 8058 one-click target that mail apps POST to, so it takes no CSRF token: the
    signed token in the URL is the proof."""
    contact, payload = _contact_or_error(tokens.UNSUBSCRIBE_SALT, token)
    if request.method == "GET":
        return render_template("campaigns/public/unsubscribe.html", contact=contact, token=token,
                               unsubscribed=contact.status == ContactStatus.UNSUBSCRIBED)
    consent.unsubscribe(contact, payload.get("k"))
    return render_template("campaigns/public/unsubscribe.html", contact=contact, token=token, unsubscribed=True,
                           just_now=True)


csrf.exempt(unsubscribe)


@blueprint.route("/klik/<token>")
@public
def click(token: str) -> Response:
    """A tracked link: counted, then on to the campaign's own URL (never one from the request)."""
    try:
        url = clicks.follow(token)
    except tokens.TokenInvalid:
        abort(404, description=_("Deze link klopt niet. Gebruik de link uit uw e-mail."))
    return redirect(url, 302)


@blueprint.route("/voorkeuren/<token>", methods=["GET", "POST"])
@public
def preferences(token: str) -> tuple[str, int] | str:
    contact, _payload = _contact_or_error(tokens.PREFERENCES_SALT, token)
    organisation = db.session.get_one(Organisation, contact.organisation_id)
    form = PreferencesForm(data={"audience": contact.audience.value if contact.audience else None,
                                 "municipality": contact.municipality,
                                 "topics": [topic.value for topic in contact.topic_values]})
    unsubscribe_url = tokens.unsubscribe_url(contact.id)
    page = {"contact": contact, "organisation": organisation, "form": form, "unsubscribe_url": unsubscribe_url,
            "subscribed": contact.status == ContactStatus.SUBSCRIBED}
    if request.method == "GET":
        return render_template("campaigns/public/preferences.html", **page)
    if not page["subscribed"]:
        abort(409, description=_("U bent niet aangemeld. Meld u opnieuw aan om weer berichten te krijgen."))
    if not form.validate_on_submit():
        return render_template("campaigns/public/preferences.html", **page), 400
    consent.update_preferences(contact, ContactAudience(form.audience.data), form.municipality.data or None,
                               [Topic(t) for t in form.topics.data or []])
    return render_template("campaigns/public/preferences.html", **page, saved=True)
