"""The audit log page: who looked at or changed personal data, for the organisation admin."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user

from core import audit
from core.audit import AuditEntry
from core.paging import requested_page
from core.permissions import Permission, organisation_ids_for, organisations_for, requires
from core.webutils import MAX_ID

blueprint = Blueprint("audit", __name__, url_prefix="/beheer/audit")


def _id_arg(name: str) -> int | None:
    value = request.args.get(name, type=int)
    return value if value is not None and 1 <= value <= MAX_ID else None


def _filters() -> audit.AuditFilters:
    """The regional admin sees every entry; an organisation admin those of their own organisations."""
    allowed = None if current_user.is_regional_admin else organisation_ids_for(current_user, Permission.MANAGE_USERS)
    organisation_id = _id_arg("organisatie")
    return audit.AuditFilters(
        organisation_ids=allowed,
        organisation_id=organisation_id if allowed is None or organisation_id in allowed else None,
        action=request.args.get("actie", "").strip()[:100] or None,
        user_email=request.args.get("gebruiker", "").strip()[:254] or None,
        record_type=request.args.get("soort", "").strip()[:50] or None,
        record_id=_id_arg("nummer"),
    )


@blueprint.route("/")
@requires(Permission.MANAGE_USERS)
def index() -> str:
    filters = _filters()
    listed = requested_page(lambda page: audit.entries_page(filters, page), audit.PAGE_SIZE)
    return render_template(
        "accounts/audit.html",
        **listed.context("entries"),
        filters=filters,
        organisations=organisations_for(current_user, Permission.MANAGE_USERS),
        actions=audit.values_used(AuditEntry.action, filters.organisation_ids),
        record_types=audit.values_used(AuditEntry.record_type, filters.organisation_ids),
    )
