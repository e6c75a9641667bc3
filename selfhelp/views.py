"""Self-help pages: the editor under /beheer/zelfhulp and the public pages under /zelfhulp/<organisation>."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from accounts.models import Organisation
from core.db import Refused
from core.permissions import Permission, ensure_can, organisation_ids_for, organisations_for, public, requires, scoped_or_404
from extensions import db
from selfhelp import services
from selfhelp.forms import DeleteForm, PageForm
from selfhelp.labels import AUDIENCE_LABELS
from selfhelp.models import SelfHelpPage
from selfhelp.rendering import render_markdown

admin = Blueprint("selfhelp_admin", __name__, url_prefix="/beheer/zelfhulp")
blueprint = Blueprint("selfhelp", __name__, url_prefix="/zelfhulp")
Page = Response | str | tuple[str, int]


@admin.route("/")
@requires(Permission.MANAGE_SELFHELP)
def index() -> str:
    pages = services.pages_of(organisation_ids_for(current_user, Permission.MANAGE_SELFHELP))
    organisations = {o.id: o for o in organisations_for(current_user, Permission.MANAGE_SELFHELP)}
    return render_template("selfhelp/admin/index.html", pages=pages, organisations=organisations,
                           audience_labels=AUDIENCE_LABELS)


def _page_form(obj: SelfHelpPage | None = None) -> PageForm:
    form = PageForm(obj=obj)
    organisations = organisations_for(current_user, Permission.MANAGE_SELFHELP)
    form.organisation_id.choices = [(o.id, o.name) for o in organisations]
    if obj is not None:  # a page stays with its organisation
        del form.organisation_id
    return form


def _render_form(form: PageForm, page: SelfHelpPage | None, status: int | None = None,
                 error: str | None = None) -> tuple[str, int]:
    if status is None:
        status = 400 if form.is_submitted() else 200
    public_url = None
    if page is not None and page.published:
        organisation = db.session.get_one(Organisation, page.organisation_id)
        public_url = url_for("selfhelp.page", organisation_slug=organisation.slug, page_slug=page.slug)
    return render_template("selfhelp/admin/form.html", form=form, page=page, error=error, public_url=public_url,
                           delete_form=DeleteForm(), preview=render_markdown(form.body.data or "")), status


@admin.route("/nieuw", methods=["GET", "POST"])
@requires(Permission.MANAGE_SELFHELP)
def create() -> Page:
    form = _page_form()
    if not form.validate_on_submit():
        return _render_form(form, None)
    ensure_can(Permission.MANAGE_SELFHELP, form.organisation_id.data)
    try:
        page = services.create_page(form.organisation_id.data, form.data_for_service())
    except services.SelfHelpError as error:
        raise Refused(_render_form, form, None, status=409, error=str(error)) from error
    flash(_("De pagina is opgeslagen."), "success")
    return redirect(url_for("selfhelp_admin.edit", page_id=page.id))


@admin.route("/<int:page_id>", methods=["GET", "POST"])
@requires(Permission.MANAGE_SELFHELP)
def edit(page_id: int) -> Page:
    page = scoped_or_404(SelfHelpPage, page_id, Permission.MANAGE_SELFHELP)
    form = _page_form(page)
    if not form.validate_on_submit():
        return _render_form(form, page)
    try:
        services.update_page(page, form.data_for_service())
    except services.SelfHelpError as error:
        raise Refused(_render_form, form, page, status=409, error=str(error)) from error
    flash(_("De wijzigingen zijn opgeslagen."), "success")
    return redirect(url_for("selfhelp_admin.edit", page_id=page.id))


@admin.route("/<int:page_id>/verwijderen", methods=["POST"])
@requires(Permission.MANAGE_SELFHELP)
def delete(page_id: int) -> Response:
    page = scoped_or_404(SelfHelpPage, page_id, Permission.MANAGE_SELFHELP)
    if not DeleteForm().validate_on_submit():
        abort(400)
    services.delete_page(page)
    flash(_("De pagina is verwijderd."), "success")
    return redirect(url_for("selfhelp_admin.index"))


def _organisation_or_404(slug: str) -> Organisation:
    organisation = db.session.scalar(db.select(Organisation).where(Organisation.slug == slug))
    if organisation is None:
        abort(404)
    return organisation


@blueprint.route("/<organisation_slug>")
@public
def listing(organisation_slug: str) -> str:
    organisation = _organisation_or_404(organisation_slug)
    return render_template("selfhelp/listing.html", organisation=organisation,
                           groups=services.published_pages(organisation.id), audience_labels=AUDIENCE_LABELS)


@blueprint.route("/<organisation_slug>/<page_slug>")
@public
def page(organisation_slug: str, page_slug: str) -> str:
    """A published page; each reading adds one to the page's count for today (no cookie, no address)."""
    found = services.published_page(organisation_slug, page_slug)
    if found is None:
        abort(404)
    organisation, shown = found
    if request.method == "GET":  # not HEAD: a link checker is not a reader
        services.count_view(shown.id)
    return render_template("selfhelp/page.html", organisation=organisation, page=shown,
                           body=render_markdown(shown.body), audience_labels=AUDIENCE_LABELS)
