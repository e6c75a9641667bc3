"""The audit log page: who looked at or changed personal data, for the organisation admin."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import Blueprint, render_template, request
from flask_login import current_user

from core import audit
from core.audit import AuditEntry
from core.paging import requested_page
from core.permissions import Permission, organisation_ids_for, organisations_for, requires
from core.timeutils import local_to_utc
from core.webutils import MAX_ID

blueprint = Blueprint("audit", __name__, url_prefix="/beheer/audit")


def _id_arg(name: str) -> int | None:
    value = request.args.get(name, type=int)
    return value if value is not None and 1 <= value <= MAX_ID else None


def _date_arg(name: str) -> date | None:
    """A day as `<input type="date">` sends it; anything else is no filter."""
    try:
        return date.fromisoformat(request.args.get(name, "").strip()[:10])
    except ValueError:
        return None


def _start_of(day: date | None) -> datetime | None:
    return local_to_utc(datetime.combine(day, time())) if day else None


def _filters() -> audit.AuditFilters:
    """The regional admin sees every entry; an organisation admin those of their own organisations."""
    allowed = None if current_user.is_regional_admin else organisation_ids_for(current_user, Permission.MANAGE_USERS)
    organisation_id = _id_arg("organisatie")
    until = _date_arg("tot")
    return audit.AuditFilters(
        organisation_ids=allowed,
        organisation_id=organisation_id if allowed is None or organisation_id in allowed else None,
        action=request.args.get("actie", "").strip()[:100] or None,
        user_email=request.args.get("gebruiker", "").strip()[:254] or None,
        record_type=request.args.get("soort", "").strip()[:50] or None,
        record_id=_id_arg("nummer"),
        since=_start_of(_date_arg("van")),
        until=_start_of(until + timedelta(days=1)) if until else None,  # "tot en met" that day
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
        since=request.args.get("van", "")[:10], until=request.args.get("tot", "")[:10],
        organisations=organisations_for(current_user, Permission.MANAGE_USERS),
        actions=[(action, audit.action_label(action))
                 for action in audit.values_used(AuditEntry.action, filters.organisation_ids)],
        record_types=[(kind, audit.record_kind_label(kind))
                      for kind in audit.values_used(AuditEntry.record_type, filters.organisation_ids)],
        users=audit.values_used(AuditEntry.user_email, filters.organisation_ids),
        records=audit.describe_records(listed.rows),
        action_label=audit.action_label, record_kind_label=audit.record_kind_label,
        short_user_agent=audit.short_user_agent,
    )
