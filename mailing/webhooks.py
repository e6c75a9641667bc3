"""`POST /webhooks/bounce`: bounces and complaints from relays that post JSON.

Authenticated by an HMAC-SHA256 of the raw body with MAIL_BOUNCE_WEBHOOK_SECRET, sent as
`X-Weerbaar-Signature: sha256=<hex>`; the only CSRF-exempt view besides one-click unsubscribe (a relay
has no session), and rate limited. The body is a report or a list of them:
`{"return_path": "bounces+…@…" or "token": "…", "type": "hard" | "soft" | "complaint",
"status": "5.1.1", "diagnostic": "…", "recipient": "…", "id": "<the relay's event id>"}`.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from core.permissions import public
from extensions import csrf, limiter
from mailing.bounces import Finding, Outcome, record
from mailing.models import BounceKind
from mailing.verp import row_id_from_token, row_ids_in

log = logging.getLogger(__name__)
blueprint = Blueprint("webhooks", __name__, url_prefix="/webhooks")
MAX_EVENTS = 500


def _rate_limit() -> str:
    return current_app.config["MAIL_BOUNCE_WEBHOOK_RATE_LIMIT"]


def _refused(status: int, message: str, reason: str) -> tuple[Response, int]:
    log.warning("bounce webhook refused (%s): %s", status, reason)
    return jsonify(error=message), status


@blueprint.post("/bounce")
@csrf.exempt
@limiter.limit(_rate_limit)
@public
def bounce() -> tuple[Response, int]:
    secret = current_app.config["MAIL_BOUNCE_WEBHOOK_SECRET"]
    if not secret:
        return _refused(404, "Deze webhook staat niet aan.", "MAIL_BOUNCE_WEBHOOK_SECRET is not set")
    limit = current_app.config["MAIL_BOUNCE_MAX_BYTES"]
    if (request.content_length or 0) > limit:
        return _refused(413, "Het bericht is te groot.", f"{request.content_length} bytes announced")
    body = request.stream.read(limit + 1)
    if len(body) > limit:
        return _refused(413, "Het bericht is te groot.", "body larger than MAIL_BOUNCE_MAX_BYTES")
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(request.headers.get("X-Weerbaar-Signature", ""), expected):
        return _refused(401, "De handtekening klopt niet.", "wrong or missing signature")
    try:
        events = _events(json.loads(body))
    except (ValueError, TypeError, KeyError) as error:
        return _refused(400, "Dit is geen geldig bouncebericht.", f"unreadable body: {error}")
    outcomes = [_process(event) for event in events]
    return jsonify(recorded=sum(o.recorded for o in outcomes),
                   ignored=sum(not o.recognised for o in outcomes)), 200


def _events(document: Any) -> list[dict[str, Any]]:
    events = document if isinstance(document, list) else [document]
    if not events or len(events) > MAX_EVENTS or not all(isinstance(e, dict) for e in events):
        raise ValueError(f"expected 1 to {MAX_EVENTS} report objects")
    return events


def _text(event: dict[str, Any], name: str, length: int) -> str | None:
    value = event.get(name)
    return value[:length] if isinstance(value, str) and value else None


def _process(event: dict[str, Any]) -> Outcome:
    try:
        kind = BounceKind(event.get("type"))
    except ValueError:
        return Outcome(False, False, f"unknown type {event.get('type')!r}")
    token, address = _text(event, "token", 100), _text(event, "return_path", 300)
    row_id = row_id_from_token(token) if token else next(iter(row_ids_in(address or "")), None)
    if row_id is None:
        log.info("bounce intake (webhook): ignored: no valid token")
        return Outcome(False, False, "no valid token")
    recipient = _text(event, "recipient", 254)
    finding = Finding(kind, status_code=_text(event, "status", 20), diagnostic=_text(event, "diagnostic", 1000),
                      recipient=recipient.strip().lower() if recipient else None)
    key = _text(event, "id", 200) or json.dumps(event, sort_keys=True)
    return record(row_id, finding, key=key, source="webhook")
