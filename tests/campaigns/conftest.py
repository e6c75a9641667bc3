"""The loopback SMTP relay of the mailing tests, for campaign mail that must really arrive."""
from tests.mailing.conftest import relay, smtp_app  # noqa: F401 - fixtures
