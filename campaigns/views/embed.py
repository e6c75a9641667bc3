"""The newsletter subscribe form to embed in an organisation's own site (an iframe), double opt-in as on
the full page (campaigns/views/public.py).

A page framed by another site gets no session cookie (SameSite=Lax, and browsers block third-party
cookies), so this form carries no session CSRF token. A forged POST is refused in two ways instead:
its Origin is not this site's own (a browser always sends Origin on a POST), and it lacks a fresh
signed form token from this page. The double opt-in is the last guard: nobody is subscribed
without clicking the link in their own mailbox.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from accounts.embedding import organisation_or_404, render_embedded
from accounts.models import Organisation
from campaigns.forms import EmbeddedSubscribeForm
from campaigns.services import consent
from core.permissions import public
from core.tokens import TokenExpired, TokenInvalid, read, sign
from extensions import csrf, limiter

blueprint = Blueprint("newsletter_embed", __name__, url_prefix="/insluiten")
FORM_TOKEN_SALT = "embedded-subscribe-form"
FORM_TOKEN_MAX_AGE_SECONDS = 4 * 3600


def _subscribe_rate_limit() -> str:
    return current_app.config["SIGNUP_RATE_LIMIT"]


def _render(organisation: Organisation, form: EmbeddedSubscribeForm, status: int = 200, **context: object) -> Response:
    form.form_token.data = sign(FORM_TOKEN_SALT, {"o": organisation.id})
    return render_embedded(organisation, "embed/subscribe.html", status, form=form,
                           consent_version=consent.CONSENT_TEXT_VERSION, **context)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _refuse_foreign_origin() -> None:
    own = {_origin(current_app.config["BASE_URL"]), _origin(request.host_url)}
    if request.headers.get("Origin") not in own:
        abort(403, description=_("Dit formulier kan alleen vanaf de eigen pagina worden verstuurd."))


def _form_token_is_fresh(organisation: Organisation, token: str | None) -> bool:
    try:
        payload = read(FORM_TOKEN_SALT, token or "", key="o", max_age_seconds=FORM_TOKEN_MAX_AGE_SECONDS)
    except (TokenInvalid, TokenExpired):
        return False
    return payload["o"] == organisation.id


@blueprint.route("/<slug>/nieuwsbrief", methods=["GET", "POST"])
@limiter.limit(_subscribe_rate_limit, methods=["POST"])
@public
def subscribe(slug: str) -> Response:
    organisation = organisation_or_404(slug)
    form = EmbeddedSubscribeForm()
    if request.method == "GET":
        return _render(organisation, form)
    _refuse_foreign_origin()
    if not _form_token_is_fresh(organisation, form.form_token.data):
        return _render(organisation, form, 400, expired=True)
    if not form.validate():
        return _render(organisation, form, 400)
    consent.request_subscription(organisation, form.subscription(request.remote_addr))
    return render_embedded(organisation, "embed/subscribed.html")


csrf.exempt(subscribe)
