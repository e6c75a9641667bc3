"""Sign-in, sign-out and the admin start page."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from accounts import services
from accounts.forms import LoginForm
from accounts.permissions import Permission, organisations_for, public, requires_login
from extensions import db, limiter

blueprint = Blueprint("accounts", __name__, url_prefix="/beheer")


def _login_rate_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@blueprint.route("/inloggen", methods=["GET", "POST"])
@limiter.limit(_login_rate_limit, methods=["POST"])
@public
def login() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("accounts.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is None:
            form.password.errors.append(_("Dit e-mailadres en wachtwoord horen niet bij elkaar."))
        else:
            session.clear()  # rotate: nothing from before the login survives
            login_user(user)
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")))
    return render_template("accounts/login.html", form=form), 200 if not form.errors else 400


def _safe_next(target: str | None) -> str:
    """Only local paths: an open redirect after login would help phishing."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("accounts.dashboard")


@blueprint.post("/uitloggen")
@requires_login
def logout() -> Response:
    services.end_sessions(current_user)
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("U bent uitgelogd."), "info")
    return redirect(url_for("accounts.login"))


@blueprint.route("/")
@requires_login
def dashboard() -> str:
    sections = {permission: organisations_for(current_user, permission) for permission in Permission}
    return render_template("accounts/dashboard.html", sections=sections, Permission=Permission)
