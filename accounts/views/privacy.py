"""Privacy and accessibility: the public statements, and subject access requests (export, erasure) in the admin."""
from __future__ import annotations

import json

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from accounts import privacy
from accounts.forms import ALL_ORGANISATIONS, ErasureForm, SubjectRequestForm
from accounts.models import Organisation
from core import audit
from core.permissions import Permission, ensure_can, organisations_for, public, requires
from core.privacy import statement_paragraphs
from core.timeutils import utcnow
from extensions import db

blueprint = Blueprint("privacy", __name__)


@blueprint.route("/privacy/<slug>")
@public
def statement(slug: str) -> str:
    organisation = db.session.scalar(sa.select(Organisation).where(Organisation.slug == slug))
    if organisation is None:
        abort(404)
    return render_template("accounts/privacy_statement.html", organisation=organisation,
                           feature_paragraphs=statement_paragraphs(current_app, organisation.id))


@blueprint.route("/toegankelijkheid")
@public
def accessibility() -> str:
    return render_template("accounts/accessibility.html")


def _with_choices(form: SubjectRequestForm) -> SubjectRequestForm:
    choices = [(organisation.id, organisation.name)
               for organisation in organisations_for(current_user, Permission.MANAGE_ORGANISATION)]
    if current_user.is_regional_admin:
        choices.insert(0, (ALL_ORGANISATIONS, _("Alle organisaties (ook systeemmail)")))
    form.organisation_id.choices = choices
    return form


def _scope(organisation_id: int) -> privacy.Scope:
    """The chosen organisation; everything for a regional admin's "all organisations"."""
    if organisation_id == ALL_ORGANISATIONS and current_user.is_regional_admin:
        return None
    ensure_can(Permission.MANAGE_ORGANISATION, organisation_id)
    return [organisation_id]


def _render(export_form: SubjectRequestForm, erasure_form: ErasureForm, status: int = 200) -> tuple[str, int]:
    return render_template("accounts/privacy_requests.html", export_form=export_form,
                           erasure_form=erasure_form), status


@blueprint.route("/beheer/privacy/")
@requires(Permission.MANAGE_ORGANISATION)
def requests() -> tuple[str, int]:
    return _render(_with_choices(SubjectRequestForm()), _with_choices(ErasureForm(prefix="wissen")))


@blueprint.post("/beheer/privacy/export")
@requires(Permission.MANAGE_ORGANISATION)
def export() -> Response | tuple[str, int]:
    form = _with_choices(SubjectRequestForm())
    if not form.validate_on_submit():
        return _render(form, _with_choices(ErasureForm(prefix="wissen", formdata=None)), 400)
    scope = _scope(form.organisation_id.data)
    data = privacy.export(form.email.data, scope)
    audit.record("personal_data.exported", organisation_id=scope[0] if scope else None,
                 counts={name: len(records) for name, records in data.items()})
    document = {"email": form.email.data.lower(), "exported_at": utcnow().isoformat(),
                "organisation_ids": scope, "data": data}
    response = Response(json.dumps(document, ensure_ascii=False, indent=2), mimetype="application/json")
    response.headers["Content-Disposition"] = 'attachment; filename="persoonsgegevens.json"'
    return response


@blueprint.post("/beheer/privacy/wissen")
@requires(Permission.MANAGE_ORGANISATION)
def erase() -> Response | tuple[str, int]:
    form = _with_choices(ErasureForm(prefix="wissen"))
    if not form.validate_on_submit():
        return _render(_with_choices(SubjectRequestForm(formdata=None)), form, 400)
    scope = _scope(form.organisation_id.data)
    counts = privacy.erase(form.email.data, scope)
    audit.record("personal_data.erased", organisation_id=scope[0] if scope else None, counts=counts)
    flash(ngettext("%(num)s gegeven over dit adres is geanonimiseerd.",
                   "%(num)s gegevens over dit adres zijn geanonimiseerd.", sum(counts.values())), "success")
    return redirect(url_for("privacy.requests"))
