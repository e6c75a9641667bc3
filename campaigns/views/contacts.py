"""Admin pages for contacts: the list of contacts, lists with CSV export, and CSV import."""
from __future__ import annotations

from collections.abc import Mapping

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, stream_with_context, url_for
from flask_babel import format_number
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from accounts.models import Organisation
from campaigns.forms import ImportUploadForm
from campaigns.models import ContactImport, ContactList, ContactStatus, ImportStatus
from campaigns.services import contacts as service
from campaigns.services import groups, import_jobs, importing
from campaigns.views.scope import chosen_organisation, organisations
from core import audit
from core.paging import requested_page
from core.permissions import Permission, requires, scoped_or_404
from core.webutils import optional_id

blueprint = Blueprint("contacts", __name__, url_prefix="/beheer/contacten")
RUNNING = (ImportStatus.QUEUED, ImportStatus.RUNNING)


@blueprint.url_value_preprocessor
def _import_upload_limit(endpoint: str | None, _values: dict[str, object] | None) -> None:
    """The contact import takes files above MAX_CONTENT_LENGTH. Set here because this runs before any
    before_request function, and the CSRF check there is the first to read the body."""
    if endpoint == "contacts.upload":
        request.max_content_length = current_app.config["CONTACT_IMPORT_MAX_BYTES"]


def contact_filters(values: Mapping[str, str]) -> service.ContactFilters:
    """The filters of the contacts page (query string), also as a bulk action's hidden fields carry them."""
    status = values.get("status", "")
    return service.ContactFilters(
        search=values.get("zoek", "").strip()[:100] or None,
        status=ContactStatus(status) if status in ContactStatus._value2member_map_ else None,
        list_id=optional_id(values.get("lijst", "")), tag_id=optional_id(values.get("label", "")),
    )


def _list_or_404(list_id: int) -> ContactList:
    return scoped_or_404(ContactList, list_id, Permission.MANAGE_CAMPAIGNS)


@blueprint.route("/")
@requires(Permission.MANAGE_CAMPAIGNS)
def index() -> str:
    organisation = chosen_organisation()
    filters = contact_filters(request.args)
    listed = requested_page(lambda page: service.contact_page(organisation.id, filters, page), service.PAGE_SIZE)
    audit.record("contacts.viewed", organisation_id=organisation.id, page=listed.page)
    return render_template("campaigns/contacts.html", organisation=organisation, organisations=organisations(),
                           **listed.context("contacts"), filters=filters, more=listed.total > service.count_cap(listed.page),
                           count_cap=service.COUNT_CAP, count_cap_text=format_number(service.COUNT_CAP),
                           counts=service.status_counts(organisation.id), lists=groups.counted(groups.LISTS, organisation.id),
                           tags=groups.counted(groups.TAGS, organisation.id), ContactStatus=ContactStatus)


@blueprint.route("/lijsten/<int:list_id>/export.csv")
@requires(Permission.MANAGE_CAMPAIGNS)
def export(list_id: int) -> Response:
    contact_list = _list_or_404(list_id)
    audit.record("contacts.exported", "contact_list", contact_list.id, organisation_id=contact_list.organisation_id)
    rows = importing.export_rows(contact_list.organisation_id, contact_list.id)
    response = Response(stream_with_context(rows), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="lijst-{contact_list.id}.csv"'
    return response


def _import_or_404(import_id: int) -> ContactImport:
    return scoped_or_404(ContactImport, import_id, Permission.MANAGE_CAMPAIGNS)


def _upload_page(organisation: Organisation, form: ImportUploadForm) -> str:
    return render_template("campaigns/import_upload.html", organisation=organisation, form=form,
                           imports=import_jobs.recent(organisation.id), progress_text=_progress_text)


@blueprint.route("/import", methods=["GET", "POST"])
@requires(Permission.MANAGE_CAMPAIGNS)
def upload() -> Response | tuple[str, int] | str:
    organisation = chosen_organisation()
    form = ImportUploadForm()
    if request.method == "GET":
        return _upload_page(organisation, form)
    if not form.validate_on_submit():
        return _upload_page(organisation, form), 400
    try:
        job = import_jobs.upload(organisation.id, current_user.id, form.file.data.filename or "import.csv",
                                 form.file.data.read())
    except importing.ImportFileError as error:
        form.file.errors = [str(error)]
        return _upload_page(organisation, form), 400
    return redirect(url_for("contacts.mapping", import_id=job.id))


@blueprint.route("/import/<int:import_id>/kolommen", methods=["GET", "POST"])
@requires(Permission.MANAGE_CAMPAIGNS)
def mapping(import_id: int) -> Response | tuple[str, int] | str:
    """Preview and column mapping; the POST queues the import and shows its progress."""
    job = _import_or_404(import_id)
    if job.status != ImportStatus.UPLOADED:
        return redirect(url_for("contacts.import_progress", import_id=job.id))
    parsed = import_jobs.parsed_file(job)
    page = {"job": job, "parsed": parsed, "preview": parsed.rows[:importing.PREVIEW_ROWS],
            "lists": groups.counted(groups.LISTS, job.organisation_id), "fields": importing.FIELDS,
            "mapping": importing.guess_mapping(parsed.header), "error": None}
    audit.record("contacts.import_previewed", "contact_import", job.id, organisation_id=job.organisation_id)
    if request.method == "GET":
        return render_template("campaigns/import_mapping.html", **page)
    chosen = {name: _column(request.form.get(f"kolom_{name}", ""), len(parsed.header)) for name in importing.FIELDS}
    list_id = _column(request.form.get("lijst", ""), 2**31)
    try:
        import_jobs.queue(job, chosen, list_id)
    except import_jobs.ImportJobError as error:
        page |= {"mapping": chosen, "error": str(error)}
        return render_template("campaigns/import_mapping.html", **page), 400
    audit.record("contacts.imported", "contact_import", job.id, organisation_id=job.organisation_id, list_id=list_id)
    import_jobs.start_in_background(job.id)  # once the request has committed the queued import
    return redirect(url_for("contacts.import_progress", import_id=job.id))


@blueprint.route("/import/<int:import_id>")
@requires(Permission.MANAGE_CAMPAIGNS)
def import_progress(import_id: int) -> str:
    """The progress bar while the import runs (refreshing itself), then its report."""
    job = _import_or_404(import_id)
    if job.finished:  # the report lists addresses from the file
        audit.record("contacts.import_report_viewed", "contact_import", job.id, organisation_id=job.organisation_id)
    return render_template("campaigns/import_progress.html", job=job, progress_text=_progress_text(job),
                           report=importing.ImportReport.from_json(job.report), ImportStatus=ImportStatus)


@blueprint.route("/import/<int:import_id>/voortgang.json")
@requires(Permission.MANAGE_CAMPAIGNS)
def import_progress_json(import_id: int) -> Response:
    job = _import_or_404(import_id)
    return jsonify(status=job.status.value, running=job.status in RUNNING, total=job.total_rows,
                   done=job.processed_rows, percent=job.percent, text=_progress_text(job))


def _progress_text(job: ContactImport) -> str:
    return _("%(done)s van %(total)s rijen", done=format_number(job.processed_rows), total=format_number(job.total_rows))


def _column(value: str, limit: int) -> int | None:
    if not value.isdecimal() or len(value) > 9:
        return None
    index = int(value)
    return index if index < limit else None
