"""Two-factor login: TOTP codes (RFC 6238) from an authenticator app, and one-time recovery codes.

No request objects here; functions flush but never commit.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time

import pyotp
import qrcode
import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from markupsafe import Markup
from qrcode.image.svg import SvgPathImage

from accounts.models import RecoveryCode, User
from accounts.services import AccountError
from extensions import db

RECOVERY_CODE_COUNT = 10
# Codes of the previous and the next 30-second step still count: phone clocks drift.
ACCEPTED_STEPS = (-1, 0, 1)


class TwoFactorError(AccountError):
    pass


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=current_app.config["TWO_FACTOR_ISSUER"])


def qr_code_svg(data: str) -> Markup:
    """An inline SVG QR code: made here, so the secret never reaches another service."""
    return Markup(qrcode.make(data, image_factory=SvgPathImage).to_string(encoding="unicode"))


def _matching_step(secret: str, code: str) -> int | None:
    totp = pyotp.TOTP(secret)
    now = totp.timecode(time.time())
    for step in (now + offset for offset in ACCEPTED_STEPS):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _normalise(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def _hash_recovery_code(code: str) -> str:
    # 64 random bits per code: a fast hash is enough, unlike for a password people choose.
    return hashlib.sha256(_normalise(code).encode()).hexdigest()


def _wrong_code() -> TwoFactorError:
    return TwoFactorError(_("Deze code klopt niet. Gebruik de code die uw app nu laat zien."))


def enable(user: User, secret: str, code: str) -> list[str]:
    """Turns two-factor login on once `code` proves the app holds `secret`; returns new recovery codes."""
    step = _matching_step(secret, _normalise(code))
    if step is None:
        raise _wrong_code()
    user.totp_secret = secret
    user.totp_last_counter = step
    return replace_recovery_codes(user)


def disable(user: User, code: str) -> None:
    if is_required_for(user):
        raise TwoFactorError(_("Voor uw rol is inloggen in twee stappen verplicht; u kunt het niet uitzetten."))
    verify(user, code)
    user.totp_secret = None
    user.totp_last_counter = None
    user.recovery_codes.clear()
    db.session.flush()


def replace_recovery_codes(user: User) -> list[str]:
    """New one-time codes (the old ones stop working); only their hashes are stored."""
    codes = ["-".join(secrets.token_hex(2) for _ in range(4)) for _ in range(RECOVERY_CODE_COUNT)]
    user.recovery_codes = [RecoveryCode(code_hash=_hash_recovery_code(code)) for code in codes]
    db.session.flush()
    return codes


def verify(user: User, code: str) -> None:
    """Accepts a current TOTP code used for the first time, or an unused recovery code (then spent)."""
    code = _normalise(code)
    if user.totp_secret is None:
        raise _wrong_code()
    if code.isdigit() and len(code) == 6:
        _claim_step(user, _matching_step(user.totp_secret, code))
    else:
        _spend_recovery_code(user, code)


def _claim_step(user: User, step: int | None) -> None:
    """Records `step` as used; a conditional UPDATE, so two requests with one code cannot both pass."""
    if step is None:
        raise _wrong_code()
    claim = (
        sa.update(User)
        .where(User.id == user.id, sa.or_(User.totp_last_counter.is_(None), User.totp_last_counter < step))
        .values(totp_last_counter=step)
    )
    if db.session.execute(claim).rowcount != 1:
        raise TwoFactorError(_("Deze code is al gebruikt. Wacht op de volgende code in uw app."))


def _spend_recovery_code(user: User, code: str) -> None:
    spend = sa.delete(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _hash_recovery_code(code)
    )
    if db.session.execute(spend).rowcount != 1:
        raise _wrong_code()
    db.session.expire(user, ["recovery_codes"])


def rate_limit() -> str:
    """The limit on code attempts (Flask-Limiter calls this per request)."""
    return current_app.config["TWO_FACTOR_RATE_LIMIT"]


def is_required_for(user: User) -> bool:
    return user.is_regional_admin and current_app.config["REQUIRE_2FA_FOR_REGIONAL_ADMIN"]


def recovery_codes_left(user: User) -> int:
    return db.session.scalar(sa.select(sa.func.count()).where(RecoveryCode.user_id == user.id))
