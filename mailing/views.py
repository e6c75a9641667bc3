"""Admin mail pages: the outbox per organisation and the development mail catcher."""
from __future__ import annotations

import io
from collections.abc import Callable

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from core import audit
from core.paging import requested_page
from core.permissions import Permission, ensure_can, organisations_for, requires, requires_regional_admin
from core.webutils import optional_id
from extensions import limiter
from mailing import services
from mailing.forms import RelayCheckForm
from mailing.labels import STATUS_LABELS, template_label
from mailing.models import MessageStatus, OutgoingMessage
from mailing.preview import sandboxed_html
from mailing.relay_check import OUTCOME_LABELS, STEP_LABELS, Outcome, RelaySettings, check_relay

blueprint = Blueprint("mailing", __name__, url_prefix="/beheer/mail")

# The mailbox of mail without an organisation (password resets); regional admins only.
SYSTEM_MAILBOX = "systeem"
# Every mailbox at once, for the regional admin's search.
EVERY_MAILBOX = "alle"


@blueprint.context_processor
def mail_labels() -> dict[str, object]:
    return {"mail_status_labels": STATUS_LABELS, "mail_template_label": template_label}


def _ensure_can_see(organisation_id: int | None) -> None:
    if organisation_id is None:
        if not current_user.is_regional_admin:
            abort(404)
    else:
        ensure_can(Permission.VIEW_MAIL, organisation_id)


def _mailbox_arg(value: str | None) -> services.Mailbox:
    """The organisation id chosen in the request (default: the first one the user may see)."""
    if value == EVERY_MAILBOX:
        if not current_user.is_regional_admin:
            abort(404)
        return services.EVERY_MAILBOX
    if value == SYSTEM_MAILBOX:
        organisation_id = None
    elif value:
        organisation_id = optional_id(value)
        if organisation_id is None:
            abort(404)
    else:
        organisation_id = organisations_for(current_user, Permission.VIEW_MAIL)[0].id
    _ensure_can_see(organisation_id)
    return organisation_id


def _mailbox_value(organisation_id: services.Mailbox) -> str:
    if isinstance(organisation_id, services.EveryMailbox):
        return EVERY_MAILBOX
    return SYSTEM_MAILBOX if organisation_id is None else str(organisation_id)


def _message_or_404(message_id: int) -> OutgoingMessage:
    message = services.get_message(message_id)
    if message is None:
        abort(404)
    _ensure_can_see(message.organisation_id)
    return message


def _text_arg(name: str) -> str | None:
    return request.args.get(name, "").strip() or None


def _filters() -> services.MessageFilters:
    status = request.args.get("status", "")
    return services.MessageFilters(
        status=MessageStatus(status) if status in MessageStatus._value2member_map_ else None,
        template=_text_arg("sjabloon"),
        recipient=_text_arg("ontvanger"),
    )


@blueprint.route("/")
@requires(Permission.VIEW_MAIL)
def catcher() -> str:
    organisation_id = _mailbox_arg(request.args.get("organisatie"))
    filters = _filters()
    listed = requested_page(lambda page: services.message_page(organisation_id, filters, page), services.PAGE_SIZE)
    return render_template(
        "mailing/catcher.html",
        mailbox=_mailbox_value(organisation_id),
        organisations=organisations_for(current_user, Permission.VIEW_MAIL),
        system_mailbox=SYSTEM_MAILBOX if current_user.is_regional_admin else None,
        every_mailbox=EVERY_MAILBOX if current_user.is_regional_admin else None,
        counts=services.status_counts(organisation_id),
        failures=services.recent_failures(organisation_id),
        templates=services.templates_used(organisation_id),
        **listed.context("messages"),
        filters=filters,
        MessageStatus=MessageStatus,
    )


@blueprint.route("/<int:message_id>")
@requires(Permission.VIEW_MAIL)
def detail(message_id: int) -> str:
    shown = _message_or_404(message_id)
    audit.record("mail.viewed", "message", shown.id, organisation_id=shown.organisation_id)
    return render_template("mailing/message.html", message=shown, bodies=services.bodies(shown),
                           mailbox=_mailbox_value(shown.organisation_id), MessageStatus=MessageStatus)


@blueprint.route("/<int:message_id>/html")
@requires(Permission.VIEW_MAIL)
def detail_html(message_id: int) -> Response:
    """The mail's own HTML, for the sandboxed frame on the message page only."""
    message = _message_or_404(message_id)
    html = services.preview_html(message)
    if html is None:
        abort(404)
    audit.record("mail.html_viewed", "message", message.id, organisation_id=message.organisation_id)
    return sandboxed_html(html)


@blueprint.route("/<int:message_id>/bijlagen/<int:attachment_id>")
@requires(Permission.VIEW_MAIL)
def attachment(message_id: int, attachment_id: int) -> Response:
    message = _message_or_404(message_id)
    part = services.get_attachment(message_id, attachment_id)
    if part is None:
        abort(404)
    audit.record("mail.attachment_downloaded", "message", message.id, organisation_id=message.organisation_id,
                 attachment_id=attachment_id)
    # Always a download: a stored part is never rendered in the admin's origin.
    return send_file(io.BytesIO(part.data), mimetype=part.content_type, as_attachment=True,
                     download_name=part.filename)


def _change_message(message_id: int, change: Callable[[OutgoingMessage], None], done: str) -> Response:
    """Retry or cancel one message; a message in a state that does not allow it is a 409."""
    message = _message_or_404(message_id)
    change(message)  # refused: MailStateError, a 409 (app.refusal_codes)
    flash(done, "success")
    return redirect(url_for("mailing.detail", message_id=message_id))


@blueprint.post("/<int:message_id>/opnieuw")
@requires(Permission.VIEW_MAIL)
def retry(message_id: int) -> Response:
    return _change_message(message_id, services.retry, _("Het bericht staat weer in de wachtrij."))


@blueprint.post("/<int:message_id>/annuleren")
@requires(Permission.VIEW_MAIL)
def cancel(message_id: int) -> Response:
    return _change_message(message_id, services.cancel, _("Het bericht is geannuleerd en wordt niet verstuurd."))


@blueprint.post("/opnieuw")
@requires(Permission.VIEW_MAIL)
def retry_all() -> Response:
    if not request.form.get("organisatie"):
        abort(400)
    organisation_id = _mailbox_arg(request.form["organisatie"])
    count = services.retry_all_failed(organisation_id)
    flash(ngettext("%(num)s mislukt bericht staat weer in de wachtrij.",
                   "%(num)s mislukte berichten staan weer in de wachtrij.", count), "success")
    return redirect(url_for("mailing.catcher", organisatie=_mailbox_value(organisation_id)))


@blueprint.route("/relay", methods=["GET", "POST"])
@requires_regional_admin
@limiter.limit("10 per minute", methods=["POST"])  # each check opens a connection to the relay
def relay_check() -> tuple[str, int]:
    """Connects to the configured relay and says what it found; sends a test message when asked."""
    form = RelayCheckForm()
    report = None
    if form.validate_on_submit():
        report = check_relay(RelaySettings.from_config(current_app.config), form.recipient.data or None)
    elif request.method == "GET":
        form.recipient.data = current_user.email
    return render_template("mailing/relay_check.html", form=form, report=report, Outcome=Outcome,
                           outcome_labels=OUTCOME_LABELS, step_labels=STEP_LABELS,
                           transport=current_app.config["MAIL_TRANSPORT"]), 400 if form.errors else 200
