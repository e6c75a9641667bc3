"""Sign-in, sign-out, password reset, accepting an invitation and the admin start page."""
from __future__ import annotations

import time
from typing import NoReturn

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from accounts import login_throttle, services, two_factor
from accounts.forms import (
    AcceptInvitationForm,
    LoginForm,
    NewPasswordForm,
    PasswordResetRequestForm,
    TwoFactorCodeForm,
)
from accounts.labels import template_labels
from accounts.models import User
from accounts.tokens import TokenExpired, TokenInvalid, TokenUsed
from core.db import after_commit
from core.permissions import Permission, may_use, organisations_for, public, requires_login
from core.webutils import renew_session, safe_local_target
from extensions import limiter

blueprint = Blueprint("accounts", __name__, url_prefix="/beheer")
blueprint.app_context_processor(template_labels)


@blueprint.app_context_processor
def permission_helpers() -> dict[str, object]:
    """`may_use(permission)` in templates: show a link only to someone who may open the page."""
    return {"may_use": lambda permission: may_use(current_user, Permission(permission))}


def _login_rate_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _account_rate_limit() -> str:
    return current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"]


def _password_reset_rate_limit() -> str:
    return current_app.config["PASSWORD_RESET_RATE_LIMIT"]


def _pending_login_key() -> str:
    """Limits the code step per account too, so guessing from many addresses gains nothing."""
    return f"two-factor:{session.get('two_factor_user', '')}"


@blueprint.route("/inloggen", methods=["GET", "POST"])
@limiter.limit(_login_rate_limit, methods=["POST"])
@limiter.limit(_account_rate_limit, key_func=login_throttle.failed_login_key, methods=["POST"],
               deduct_when=login_throttle.login_failed)
@public
def login() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("accounts.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is None:
            form.password.errors.append(_("Dit e-mailadres en wachtwoord horen niet bij elkaar."))
        elif user.has_two_factor:
            return _ask_for_code(user)
        else:
            _log_in(user)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("accounts/login.html", form=form), 200 if not form.errors else 400


def _ask_for_code(user: User) -> Response:
    """Remembers who gave the right password (not yet logged in) and asks for the code from the app."""
    renew_session()
    session["two_factor_user"] = user.get_id()
    session["two_factor_since"] = int(time.time())
    return redirect(url_for("accounts.login_code", next=request.args.get("next")))


@blueprint.route("/inloggen/code", methods=["GET", "POST"])
@limiter.limit(two_factor.rate_limit, methods=["POST"])
@limiter.limit(two_factor.rate_limit, methods=["POST"], key_func=_pending_login_key)
@public
def login_code() -> str | tuple[str, int] | Response:
    """The second step of a two-factor login: the password was right, now the code from the app."""
    user = _pending_two_factor_user()
    if user is None:
        flash(_("Log opnieuw in: de tijd voor de code is verstreken."), "info")
        return redirect(url_for("accounts.login"))
    form = TwoFactorCodeForm()
    if form.validate_on_submit():
        try:
            two_factor.verify(user, form.code.data)
        except two_factor.TwoFactorError as error:  # verify wrote nothing; the 400 rolls back the rest
            form.code.errors.append(str(error))
        else:
            _log_in(user)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("accounts/login_code.html", form=form), 400 if form.errors else 200


def _pending_two_factor_user() -> User | None:
    started = session.get("two_factor_since", 0)
    if time.time() - started > current_app.config["TWO_FACTOR_PENDING_MINUTES"] * 60:
        return None
    return services.load_user_from_session_id(session.get("two_factor_user", ""))


def _log_in(user: User) -> None:
    renew_session()  # rotate: nothing from before the login survives but the language
    login_user(user)
    login_throttle.remember_device(user)


def _safe_next(target: str | None) -> str:
    """Only local paths: an open redirect after login would help phishing."""
    return safe_local_target(target) or url_for("accounts.dashboard")


@blueprint.post("/uitloggen")
@requires_login
def logout() -> Response:
    services.end_sessions(current_user)
    logout_user()
    renew_session()
    flash(_("U bent uitgelogd."), "info")
    return redirect(url_for("accounts.login"))


@blueprint.route("/wachtwoord-vergeten", methods=["GET", "POST"])
@limiter.limit(_password_reset_rate_limit, methods=["POST"])
@public
def forgot_password() -> str | tuple[str, int]:
    form = PasswordResetRequestForm()
    if not form.validate_on_submit():
        return render_template("accounts/forgot_password.html", form=form), 400 if form.errors else 200
    started = time.monotonic()
    services.request_password_reset(form.email.data)
    after_commit(lambda: _answer_no_sooner_than(started))  # the commit of a known address's mail is padded too
    return render_template("accounts/reset_requested.html")


def _answer_no_sooner_than(started: float) -> None:
    """Pads the answer to a fixed minimum time, so a known and an unknown address look alike."""
    remaining = current_app.config["PASSWORD_RESET_MIN_SECONDS"] - (time.monotonic() - started)
    if remaining > 0:
        time.sleep(remaining)


def _refuse_link(error: Exception) -> NoReturn:
    if isinstance(error, TokenExpired):
        abort(410, description=_("Deze link is verlopen. Vraag een nieuwe aan."))
    if isinstance(error, TokenUsed):
        abort(410, description=_("Deze link is al gebruikt of vervangen door een nieuwere. Vraag een nieuwe aan."))
    abort(404, description=_("Deze link klopt niet. Gebruik de link uit uw e-mail, of vraag een nieuwe aan."))


@blueprint.route("/wachtwoord/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str) -> str | tuple[str, int] | Response:
    try:
        user = services.user_for_password_reset(token)
    except (TokenInvalid, TokenExpired, TokenUsed) as error:
        _refuse_link(error)
    form = NewPasswordForm()
    if not form.validate_on_submit():
        return render_template("accounts/reset_password.html", form=form, user=user), 400 if form.errors else 200
    services.set_password(user, form.password.data)
    if user.has_two_factor:  # a mailbox alone must not open a two-factor account
        response = _ask_for_code(user)
        flash(_("Uw nieuwe wachtwoord is opgeslagen. Vul nu de code uit uw app in."), "success")
        return response
    _log_in(user)
    flash(_("Uw nieuwe wachtwoord is opgeslagen. U bent ingelogd."), "success")
    return redirect(url_for("accounts.dashboard"))


@blueprint.route("/uitnodiging/<token>", methods=["GET", "POST"])
@public
def accept_invitation(token: str) -> str | tuple[str, int] | Response:
    try:
        user = services.user_for_invitation(token)
    except (TokenInvalid, TokenExpired, TokenUsed) as error:
        _refuse_link(error)
    form = AcceptInvitationForm(name=user.name)
    if not form.validate_on_submit():
        return render_template("accounts/accept_invitation.html", form=form, user=user), 400 if form.errors else 200
    services.accept_invitation(user, form.name.data, form.password.data)
    _log_in(user)
    flash(_("Welkom! Uw wachtwoord is opgeslagen en u bent ingelogd."), "success")
    return redirect(url_for("accounts.dashboard"))


@blueprint.route("/verborgen-link")
@public
def hidden_link() -> str:
    """Where the link points in a stored copy of a mail (catcher, outbox): only the recipient's works."""
    return render_template("accounts/hidden_link.html")


@blueprint.route("/")
@requires_login
def dashboard() -> str:
    sections = {permission: organisations_for(current_user, permission) for permission in Permission}
    return render_template("accounts/dashboard.html", sections=sections, Permission=Permission)
