"""Application factory."""
from __future__ import annotations

import os
import time
from collections.abc import Callable

import redis
import sqlalchemy as sa
from flask import Flask, Response, current_app, flash, has_request_context, redirect, render_template, request, session, url_for
from flask_babel import LazyString, format_date, format_datetime, format_time, lazy_gettext
from flask_login import logout_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from config import CONFIGS, INSTANCE_DIR, ProductionConfig
from core import privacy
from core.addresses import breakable_email
from core.db import register_unit_of_work
from core.permissions import public
from core.webutils import register_input_guards, renew_session
from extensions import babel, csrf, db, limiter, login_manager, migrate

ERROR_MESSAGES: dict[int, LazyString] = {
    400: lazy_gettext("Het verzoek klopt niet. Ververs de pagina en probeer het opnieuw."),
    403: lazy_gettext("U heeft geen toegang tot deze pagina."),
    404: lazy_gettext("Deze pagina bestaat niet (meer)."),
    405: lazy_gettext("Deze actie is hier niet mogelijk."),
    409: lazy_gettext("Dit kan niet in de huidige toestand. Ververs de pagina en probeer het opnieuw."),
    410: lazy_gettext("Deze link is verlopen."),
    413: lazy_gettext("Het bestand of formulier is te groot."),
    429: lazy_gettext("U heeft dit te vaak geprobeerd. Wacht even en probeer het dan opnieuw."),
    500: lazy_gettext("Er ging iets mis aan onze kant. Probeer het later opnieuw."),
    503: lazy_gettext("Het is op dit moment erg druk. Probeer het over een paar seconden opnieuw."),
}
IDLE_LOGOUT = lazy_gettext("U was een tijd niet actief en bent daarom uitgelogd. Log opnieuw in.")
# Only the check-in page's QR scanner needs a device, and only on our own origin.
PERMISSIONS_POLICY = (
    "camera=(self), microphone=(), geolocation=(), payment=(), usb=(), serial=(), bluetooth=(), "
    "display-capture=()"
)
CSRF_EXPIRED = lazy_gettext(
    "Het formulier was verlopen of onvolledig. Ververs de pagina, vul het opnieuw in en verstuur het nog eens."
)


def create_app(config_name: str | None = None, overrides: dict[str, object] | None = None) -> Flask:
    """Builds the app from a named configuration; `overrides` (tests, benchmarks) win over it."""
    app = Flask(__name__, instance_path=str(INSTANCE_DIR))
    load_config(app, config_name or os.environ.get("FLASK_CONFIG", "development"))
    app.config.update(overrides or {})
    register_proxy(app)
    register_extensions(app)
    register_input_guards(app)
    register_blueprints(app)
    register_personal_data(app)
    register_audit_records()
    register_commands(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_security_headers(app)
    register_idle_timeout(app)
    register_health_check(app)
    register_unit_of_work(app)  # last: it wraps every view registered above
    return app


def load_config(app: Flask, config_name: str) -> None:
    config_class = CONFIGS[config_name]
    if config_class is ProductionConfig:
        ProductionConfig.check()
    app.config.from_object(config_class)
    os.makedirs(app.instance_path, exist_ok=True)


def register_proxy(app: Flask) -> None:
    """Behind TRUSTED_PROXY_COUNT proxies the client is the one they name in X-Forwarded-For: the rate
    limiter, the audit log and consent records all read `request.remote_addr`. Without it the header is ignored,
    so a visitor cannot pick their own address."""
    count = app.config["TRUSTED_PROXY_COUNT"]
    if count > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)  # type: ignore[method-assign]


def select_locale() -> str:
    """The visitor's choice; outside a request (CLI commands, the mail worker) Dutch."""
    return (session.get("lang") if has_request_context() else None) or "nl"


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(app.root_path, "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = lazy_gettext("Log in om deze pagina te bekijken.")
    login_manager.session_protection = "strong"
    from accounts.services import load_user_from_session_id

    login_manager.user_loader(load_user_from_session_id)
    import_models()


def import_models() -> None:
    """Every model module, so that metadata (and Alembic's autogenerate) sees all tables."""
    import accounts.models  # noqa: F401
    import campaigns.models  # noqa: F401
    import core.audit  # noqa: F401
    import effect.models  # noqa: F401
    import events.models  # noqa: F401
    import mailing.models  # noqa: F401
    import selfhelp.models  # noqa: F401


def register_blueprints(app: Flask) -> None:
    from accounts.views.account import blueprint as account_blueprint
    from accounts.views.audit import blueprint as audit_blueprint
    from accounts.views.auth import blueprint as accounts_blueprint
    from accounts.views.organisations import blueprint as organisations_blueprint
    from accounts.views.privacy import blueprint as privacy_blueprint
    from campaigns.receivers import connect_receivers
    from campaigns.views.admin import blueprint as campaigns_blueprint
    from campaigns.views.archive import blueprint as archive_blueprint
    from campaigns.views.contact import blueprint as contact_blueprint
    from campaigns.views.contacts import blueprint as contacts_blueprint
    from campaigns.views.delivery import blueprint as campaign_delivery_blueprint
    from campaigns.views.editor import blueprint as campaign_editor_blueprint
    from campaigns.views.embed import blueprint as newsletter_embed_blueprint
    from campaigns.views.groups import LIST_PAGES, TAG_PAGES, group_blueprint
    from campaigns.views.images import blueprint as campaign_images_blueprint
    from campaigns.views.public import blueprint as newsletter_blueprint
    from campaigns.views.saved_templates import blueprint as campaign_templates_blueprint
    from campaigns.views.sending import blueprint as campaign_sending_blueprint
    from effect.receivers import connect_receivers as connect_effect_receivers
    from effect.views import blueprint as effect_blueprint
    from events.views.admin import blueprint as events_admin_blueprint
    from events.views.api import blueprint as api_blueprint
    from events.views.checkin import blueprint as events_checkin_blueprint
    from events.views.embed import blueprint as embed_blueprint
    from events.views.public import blueprint as events_blueprint
    from mailing.views import blueprint as mailing_blueprint
    from mailing.webhooks import blueprint as webhooks_blueprint
    from results.views import blueprint as results_blueprint
    from selfhelp.views import admin as selfhelp_admin_blueprint
    from selfhelp.views import blueprint as selfhelp_blueprint

    app.register_blueprint(events_blueprint)
    app.register_blueprint(api_blueprint)
    app.register_blueprint(embed_blueprint)
    app.register_blueprint(accounts_blueprint)
    app.register_blueprint(account_blueprint)
    app.register_blueprint(organisations_blueprint)
    app.register_blueprint(events_admin_blueprint)
    app.register_blueprint(events_checkin_blueprint)
    app.register_blueprint(mailing_blueprint)
    app.register_blueprint(webhooks_blueprint)
    app.register_blueprint(audit_blueprint)
    app.register_blueprint(privacy_blueprint)
    app.register_blueprint(results_blueprint)
    app.register_blueprint(selfhelp_blueprint)
    app.register_blueprint(selfhelp_admin_blueprint)
    app.register_blueprint(newsletter_blueprint)
    app.register_blueprint(newsletter_embed_blueprint)
    app.register_blueprint(archive_blueprint)
    app.register_blueprint(campaigns_blueprint)
    app.register_blueprint(campaign_editor_blueprint)
    app.register_blueprint(campaign_images_blueprint)
    app.register_blueprint(campaign_sending_blueprint)
    app.register_blueprint(campaign_delivery_blueprint)
    app.register_blueprint(campaign_templates_blueprint)
    app.register_blueprint(contacts_blueprint)
    app.register_blueprint(contact_blueprint)
    app.register_blueprint(group_blueprint(LIST_PAGES))
    app.register_blueprint(group_blueprint(TAG_PAGES))
    app.register_blueprint(effect_blueprint)
    connect_receivers()
    connect_effect_receivers()


def register_personal_data(app: Flask) -> None:
    """What each feature stores about people, for the retention purge, export and erasure (`core.privacy`)."""
    from campaigns.privacy import CONTACTS, IMPORTS
    from effect.privacy import EFFECT
    from events.privacy import REGISTRATIONS
    from mailing.privacy import OUTBOX

    # Before the registrations: an erasure finds the answers by the address the registration still has.
    privacy.register(app, EFFECT)
    privacy.register(app, REGISTRATIONS)
    privacy.register(app, OUTBOX)
    # Imports before contacts: an erasure stops a running import of the address (waiting for the chunk
    # it is writing) before the contacts are anonymised, so that chunk cannot bring the address back.
    privacy.register(app, IMPORTS)
    privacy.register(app, CONTACTS)


def register_audit_records() -> None:
    """How the audit page names and links each kind of record (`core.audit.register_record_kind`)."""
    from accounts import audit_records as accounts_records
    from campaigns import audit_records as campaigns_records
    from core.audit import register_record_kind as kind
    from events import audit_records as events_records
    from mailing import audit_records as mailing_records

    kind("event", lazy_gettext("Evenement"), events_records.events)
    kind("registration", lazy_gettext("Aanmelding"), events_records.registrations)
    kind("contact", lazy_gettext("Contact"), campaigns_records.contacts)
    kind("campaign", lazy_gettext("Campagne"), campaigns_records.campaigns)
    kind("contact_list", lazy_gettext("Contactlijst"), campaigns_records.contact_lists)
    kind("contact_tag", lazy_gettext("Label"), campaigns_records.contact_tags)
    kind("contact_import", lazy_gettext("Import van contacten"), campaigns_records.imports)
    kind("message", lazy_gettext("E-mail"), mailing_records.messages)
    kind("user", lazy_gettext("Gebruiker"), accounts_records.users)


def register_commands(app: Flask) -> None:
    from accounts.cli import accounts_cli, privacy_cli
    from campaigns.cli import campaigns_cli
    from demo import demo_cli
    from events.cli import events_cli
    from mailing.cli import mailing_cli

    app.cli.add_command(accounts_cli)
    app.cli.add_command(privacy_cli)
    app.cli.add_command(mailing_cli)
    app.cli.add_command(campaigns_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(events_cli)


def register_errorhandlers(app: Flask) -> None:
    def render_error(error: HTTPException) -> tuple[str, int]:
        code = error.code or 500
        message = ERROR_MESSAGES.get(code, ERROR_MESSAGES[500])
        detail = _error_detail(error)
        return render_template("errors/error.html", code=code, message=message, detail=detail), code

    for code in ERROR_MESSAGES:
        app.register_error_handler(code, render_error)
    for error_class, code in refusal_codes().items():
        app.register_error_handler(error_class, _render_refusal(code))


def refusal_codes() -> dict[type[Exception], int]:
    """The services' refusals that a view lets through, and their answer (rendered after the rollback)."""
    from campaigns.services.campaigns import CampaignError
    from campaigns.services.contacts import ContactError
    from events.services.management import ManagementError
    from events.services.registration import EventBusy, RegistrationError
    from mailing.services import MailStateError

    return {EventBusy: 503, RegistrationError: 409, ManagementError: 409, CampaignError: 409, ContactError: 409,
            MailStateError: 409}


def _render_refusal(code: int) -> Callable[[Exception], tuple[str, int]]:
    def render(error: Exception) -> tuple[str, int]:
        return render_template("errors/error.html", code=code, message=ERROR_MESSAGES[code], detail=str(error)), code

    return render


def _error_detail(error: HTTPException) -> str | None:
    """The text a view passed to abort() (already translated); never Werkzeug's English default."""
    if isinstance(error, CSRFError):
        return str(CSRF_EXPIRED)
    return error.description if type(error).description != error.description else None


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.filters["local_datetime"] = lambda dt, fmt="EEEE d MMMM y, HH:mm": format_datetime(dt, fmt)
    app.jinja_env.filters["local_date"] = lambda dt, fmt="EEEE d MMMM y": format_date(dt, fmt)
    app.jinja_env.filters["local_time"] = lambda dt: format_time(dt, "HH:mm")
    app.jinja_env.filters["breakable_email"] = breakable_email
    app.jinja_env.filters["without_key"] = lambda mapping, key: {k: v for k, v in mapping.items() if k != key}

    @app.context_processor
    def inject_locale() -> dict[str, object]:
        return {"current_locale": select_locale()}


def register_security_headers(app: Flask) -> None:
    @app.after_request
    def add_security_headers(response: Response) -> Response:
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]:
            # The embed pages name their organisation's sites in frame-ancestors instead (accounts/embedding.py).
            response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if request.endpoint and not request.endpoint.startswith(("events.", "static")):
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def register_idle_timeout(app: Flask) -> None:
    """Ends a signed-in session after ADMIN_IDLE_MINUTES without a request; the next admin page asks to log in."""

    @app.before_request
    def end_idle_session() -> Response | None:
        if "_user_id" not in session or request.endpoint == "static":
            return None
        now = int(time.time())
        idle_seconds = now - session.get("last_seen", now)
        session["last_seen"] = now
        if idle_seconds <= app.config["ADMIN_IDLE_MINUTES"] * 60:
            return None
        logout_user()
        renew_session()
        if getattr(app.view_functions.get(request.endpoint or ""), "is_public", False):
            return None
        flash(str(IDLE_LOGOUT), "info")
        return redirect(url_for("accounts.login", next=request.full_path if request.method == "GET" else None))


def register_health_check(app: Flask) -> None:
    """`/livez`: the process answers (also the benchmark floor). `/healthz`: it can do its work, for load
    balancers and monitoring: 503 naming the part that is down (the database, the rate-limit Redis)."""

    @app.get("/livez")
    @public
    def liveness() -> Response:
        return Response("ok", mimetype="text/plain")

    @app.get("/healthz")
    @public
    def health() -> Response:
        failing = [part for part, check in _health_checks(app) if not check()]
        if failing:
            return Response("".join(f"{part}: onbereikbaar\n" for part in failing), status=503, mimetype="text/plain")
        return Response("ok", mimetype="text/plain")


HEALTH_TIMEOUT_SECONDS = 2


def _health_checks(app: Flask) -> list[tuple[str, Callable[[], bool]]]:
    checks: list[tuple[str, Callable[[], bool]]] = [("database", _database_answers)]
    storage_uri = app.config["RATELIMIT_STORAGE_URI"]
    if app.config["RATELIMIT_ENABLED"] and storage_uri.startswith(("redis://", "rediss://")):
        checks.append(("redis", lambda: _redis_answers(storage_uri)))
    return checks


def _database_answers() -> bool:
    try:
        with db.engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as error:
        current_app.logger.warning("health check: the database does not answer: %s", error.__class__.__name__)
        return False
    return True


def _redis_answers(uri: str) -> bool:
    try:
        connection = redis.Redis.from_url(uri, socket_connect_timeout=HEALTH_TIMEOUT_SECONDS,
                                          socket_timeout=HEALTH_TIMEOUT_SECONDS)
        with connection:
            connection.ping()
    except redis.RedisError as error:
        current_app.logger.warning("health check: Redis does not answer: %s", error)
        return False
    return True
