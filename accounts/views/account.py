"""The signed-in user's own account: turning two-factor login on and off."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from accounts import two_factor
from accounts.forms import TwoFactorCodeForm
from core.permissions import requires_login
from extensions import limiter

blueprint = Blueprint("account", __name__, url_prefix="/beheer/account")
SETUP_SECRET = "two_factor_setup_secret"
# What a regional admin who must set up two-factor login can still reach before doing so.
OPEN_BEFORE_SETUP = {"account.index", "account.two_factor_setup", "accounts.logout", "static"}


@blueprint.before_app_request
def require_two_factor_setup() -> Response | None:
    """With REQUIRE_2FA_FOR_REGIONAL_ADMIN, a regional admin without it is sent to set it up first."""
    endpoint = request.endpoint or ""
    view = current_app.view_functions.get(endpoint)
    if endpoint in OPEN_BEFORE_SETUP or view is None or getattr(view, "is_public", False):
        return None
    if current_user.is_authenticated and not current_user.has_two_factor and two_factor.is_required_for(current_user):
        flash(_("Stel eerst inloggen in twee stappen in; voor uw rol is dat verplicht."), "info")
        return redirect(url_for("account.two_factor_setup"))
    return None


@blueprint.route("/")
@requires_login
def index() -> tuple[str, int]:
    return _render_account(TwoFactorCodeForm())


def _render_account(form: TwoFactorCodeForm, status: int = 200) -> tuple[str, int]:
    return render_template(
        "accounts/account.html",
        form=form,
        required=two_factor.is_required_for(current_user),
        codes_left=two_factor.recovery_codes_left(current_user),
    ), status


@blueprint.route("/tweestapsverificatie", methods=["GET", "POST"])
@requires_login
def two_factor_setup() -> str | tuple[str, int] | Response:
    if current_user.has_two_factor:
        return redirect(url_for("account.index"))
    secret = session.setdefault(SETUP_SECRET, two_factor.new_secret())
    form = TwoFactorCodeForm()
    if form.validate_on_submit():
        try:
            codes = two_factor.enable(current_user, secret, form.code.data)
        except two_factor.TwoFactorError as error:
            form.code.errors.append(str(error))
        else:
            session.pop(SETUP_SECRET)
            return render_template("accounts/recovery_codes.html", codes=codes)
    uri = two_factor.provisioning_uri(current_user, secret)
    return render_template("accounts/two_factor_setup.html", form=form, secret=secret,
                           qr_code=two_factor.qr_code_svg(uri)), 400 if form.errors else 200


@blueprint.post("/tweestapsverificatie/uitzetten")
@limiter.limit(two_factor.rate_limit)
@requires_login
def two_factor_disable() -> tuple[str, int] | Response:
    form = TwoFactorCodeForm()
    if form.validate_on_submit():
        try:
            two_factor.disable(current_user, form.code.data)
        except two_factor.TwoFactorError as error:  # nothing written; the 400 rolls back
            form.code.errors.append(str(error))
        else:
            flash(_("Inloggen in twee stappen staat uit."), "success")
            return redirect(url_for("account.index"))
    return _render_account(form, 400)
