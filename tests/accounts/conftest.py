"""The loopback relay of the mailing tests, for the account mails that must reach a recipient."""
from tests.mailing.conftest import relay, smtp_app  # noqa: F401
