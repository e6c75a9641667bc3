"""Public pages: listing, event detail, sign-up, manage/cancel a registration."""
from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from accounts.permissions import public

blueprint = Blueprint("events", __name__)


@blueprint.route("/")
@public
def listing() -> str:
    return render_template("events/listing.html", events=[])


@blueprint.post("/taal")
@public
def set_language() -> Response:
    language = request.form.get("lang", "nl")
    if language in current_app.config["LANGUAGES"]:
        session["lang"] = language
    target = request.form.get("next", "")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("events.listing")
    return redirect(target)
