"""Admin pages for contacts: the list of contacts, lists with CSV export, and CSV import."""
from __future__ import annotations

import os
import secrets
from collections.abc import Mapping

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from accounts import audit
from accounts.permissions import Permission, requires, scoped_or_404
from campaigns.forms import ImportUploadForm, ListForm
from campaigns.models import ContactList, ContactStatus
from campaigns.services import contacts as service
from campaigns.services import importing
from campaigns.services.tags import tags_for
from campaigns.views.scope import chosen_organisation, ensure_in_scope, organisations
from extensions import db
from webutils import page_number

blueprint = Blueprint("contacts", __name__, url_prefix="/beheer/contacten")
IMPORTS_SESSION_KEY = "contact_imports"


def _id_or_none(value: str) -> int | None:
    return int(value) if value.isdecimal() and len(value) < 10 else None


def contact_filters(values: Mapping[str, str]) -> service.ContactFilters:
    """The filters of the contacts page (query string), also as a bulk action's hidden fields carry them."""
    status = values.get("status", "")
    return service.ContactFilters(
        search=values.get("zoek", "").strip()[:100] or None,
        status=ContactStatus(status) if status in ContactStatus._value2member_map_ else None,
        list_id=_id_or_none(values.get("lijst", "")), tag_id=_id_or_none(values.get("label", "")),
    )


def _list_or_404(list_id: int) -> ContactList:
    return scoped_or_404(ContactList, list_id, Permission.MANAGE_CAMPAIGNS)


@blueprint.route("/")
@requires(Permission.MANAGE_CAMPAIGNS)
def index() -> str:
    organisation = chosen_organisation()
    filters = contact_filters(request.args)
    page = page_number()
    contacts, total = service.contact_page(organisation.id, filters, page)
    audit.record("contacts.viewed", organisation_id=organisation.id, page=page)
    return render_template("campaigns/contacts.html", organisation=organisation, organisations=organisations(),
                           contacts=contacts, total=total, page=page, filters=filters,
                           pages=max((total + service.PAGE_SIZE - 1) // service.PAGE_SIZE, 1),
                           counts=service.status_counts(organisation.id), lists=service.lists_for(organisation.id),
                           tags=tags_for(organisation.id), ContactStatus=ContactStatus)


@blueprint.route("/lijsten", methods=["GET", "POST"])
@requires(Permission.MANAGE_CAMPAIGNS)
def lists() -> Response | tuple[str, int] | str:
    organisation = chosen_organisation()
    form = ListForm()
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                service.create_list(organisation.id, form.name.data)
            except service.ContactError as error:
                form.name.errors = [str(error)]
            else:
                db.session.commit()
                flash(_("De lijst is aangemaakt."), "success")
                return redirect(url_for("contacts.lists", organisatie=organisation.id))
        return render_template("campaigns/lists.html", organisation=organisation, form=form,
                               lists=service.lists_for(organisation.id)), 400
    return render_template("campaigns/lists.html", organisation=organisation, form=form,
                           lists=service.lists_for(organisation.id))


@blueprint.route("/lijsten/<int:list_id>/export.csv")
@requires(Permission.MANAGE_CAMPAIGNS)
def export(list_id: int) -> Response:
    contact_list = _list_or_404(list_id)
    audit.record("contacts.exported", "contact_list", contact_list.id, organisation_id=contact_list.organisation_id)
    rows = importing.export_rows(contact_list.organisation_id, contact_list.id)
    response = Response(stream_with_context(rows), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="lijst-{contact_list.id}.csv"'
    return response


def _imports_dir() -> str:
    path = os.path.join(current_app.instance_path, "imports")
    os.makedirs(path, exist_ok=True)
    return path


def _stored_import(key: str) -> tuple[int, str]:
    """The organisation and file of an upload this session made; anything else is a 404."""
    stored = session.get(IMPORTS_SESSION_KEY, {}).get(key)
    if not stored or not key.replace("-", "").replace("_", "").isalnum():
        abort(404)
    ensure_in_scope(stored["organisation_id"])
    path = os.path.join(_imports_dir(), f"{key}.csv")
    if not os.path.exists(path):
        abort(404)
    return stored["organisation_id"], path


@blueprint.route("/import", methods=["GET", "POST"])
@requires(Permission.MANAGE_CAMPAIGNS)
def upload() -> Response | tuple[str, int] | str:
    organisation = chosen_organisation()
    form = ImportUploadForm()
    if request.method == "GET":
        return render_template("campaigns/import_upload.html", organisation=organisation, form=form)
    if not form.validate_on_submit():
        return render_template("campaigns/import_upload.html", organisation=organisation, form=form), 400
    data = form.file.data.read()
    try:
        importing.parse(data)
    except importing.ImportFileError as error:
        form.file.errors = [str(error)]
        return render_template("campaigns/import_upload.html", organisation=organisation, form=form), 400
    key = secrets.token_urlsafe(16)
    with open(os.path.join(_imports_dir(), f"{key}.csv"), "wb") as file:
        file.write(data)
    session[IMPORTS_SESSION_KEY] = session.get(IMPORTS_SESSION_KEY, {}) | {
        key: {"organisation_id": organisation.id, "filename": (form.file.data.filename or "import.csv")[:100]}}
    return redirect(url_for("contacts.mapping", key=key))


@blueprint.route("/import/<key>", methods=["GET", "POST"])
@requires(Permission.MANAGE_CAMPAIGNS)
def mapping(key: str) -> Response | tuple[str, int] | str:
    """Preview and column mapping; the POST imports (synchronously) and shows the report."""
    organisation_id, path = _stored_import(key)
    with open(path, "rb") as file:
        parsed = importing.parse(file.read())
    lists = service.lists_for(organisation_id)
    page = {"key": key, "parsed": parsed, "preview": parsed.rows[:importing.PREVIEW_ROWS], "lists": lists,
            "fields": importing.FIELDS, "mapping": importing.guess_mapping(parsed.header), "error": None}
    audit.record("contacts.import_previewed", organisation_id=organisation_id)
    if request.method == "GET":
        return render_template("campaigns/import_mapping.html", **page)
    chosen = {name: _column(request.form.get(f"kolom_{name}", ""), len(parsed.header)) for name in importing.FIELDS}
    list_id = _column(request.form.get("lijst", ""), 2**31)
    if chosen["email"] is None or (list_id is not None and list_id not in {c.id for c, _n in lists}):
        page["mapping"] = chosen
        no_email = chosen["email"] is None
        page["error"] = _("Kies de kolom met het e-mailadres.") if no_email else _("Kies een van de lijsten.")
        return render_template("campaigns/import_mapping.html", **page), 400
    filename = session[IMPORTS_SESSION_KEY][key]["filename"]
    report = importing.import_contacts(organisation_id, parsed, chosen, filename, list_id)
    audit.record("contacts.imported", organisation_id=organisation_id, list_id=list_id)
    db.session.commit()
    os.remove(path)
    session[IMPORTS_SESSION_KEY] = {k: v for k, v in session[IMPORTS_SESSION_KEY].items() if k != key}
    return render_template("campaigns/import_report.html", report=report, organisation_id=organisation_id)


def _column(value: str, limit: int) -> int | None:
    if not value.isdecimal() or len(value) > 9:
        return None
    index = int(value)
    return index if index < limit else None
