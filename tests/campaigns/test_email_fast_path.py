"""`valid_email`'s fast path (plain local part, cached domain check) against email_validator itself."""
from __future__ import annotations

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from campaigns.services import contacts
from campaigns.services.contacts import valid_email
from core.addresses import normalise_email


def by_email_validator(email: str) -> str | None:
    """What valid_email answered before the fast path: the same checks, every address through email_validator."""
    address = normalise_email(email)
    if not address or any(c in address for c in "\r\n\t ") or len(address) > 254:
        return None
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return None
    return address


LOCAL_CHARACTERS = "abcXYZ019_+-.!#$%&'*/=?^`{|}~\"(),:;<>@[\\] é中\u200b\x00"
DOMAIN_CHARACTERS = "abz09-._Éé中ß\u200b"
TLDS = ["nl", "example", "com", "test", "local", "localhost", "invalid", "onion", "arpa", "internal", "123", "x",
        "xn--p1ai", "xn--zz", "a" * 63, "a" * 64, "1a", "-nl", "nl-", ""]
labels = st.one_of(st.text(DOMAIN_CHARACTERS, max_size=70), st.sampled_from(["xn--", "xn--bcher-kva", "a--b", "-a", "a-"]))
domains = st.builds(lambda parts, tld: ".".join([*parts, tld]), st.lists(labels, max_size=4), st.sampled_from(TLDS))
locals_ = st.one_of(st.text(LOCAL_CHARACTERS, max_size=70), st.from_regex(r"[a-z0-9_+-]{1,66}(\.[a-z0-9_+-]{1,10}){0,3}",
                                                                         fullmatch=True))
addresses = st.builds(lambda local, at, domain: f"{local}{at}{domain}", locals_, st.sampled_from(["@", "@", "@@", ""]),
                      domains)


@settings(max_examples=1500, deadline=None)
@given(addresses)
def test_fast_path_answers_as_email_validator_does(email: str) -> None:
    assert valid_email(email) == by_email_validator(email)


@pytest.mark.parametrize("email", [
    "jan@example.nl", " Jan.de.Vries@Gemeente.NL ", "a+b@c.nl", "a_b-c@d-e.nl", "x@voorbeeld.example",
    "a" * 64 + "@example.nl", "a" * 65 + "@example.nl", "a@" + "b" * 63 + ".nl", "a@" + "b" * 64 + ".nl",
    ("a@" + "b" * 60 + ".") * 4 + "nl", ".a@example.nl", "a.@example.nl", "a..b@example.nl", "a@example..nl",
    "a@.example.nl", "a@example.nl.", "a@-example.nl", "a@example-.nl", "a@ex--ample.nl", "a@xn--bcher-kva.nl",
    "a@xn--zz.nl", "a@example.123", "a@123.45", "a@localhost", "a@foo.local", "a@foo.test", "a@foo.invalid",
    "a@foo.onion", "a@1.2.3.4", "a@[1.2.3.4]", "a@example", "a@nl", '"jan"@example.nl', '"a b"@example.nl',
    "jan@bücher.nl", "jän@example.nl", "a@example.nl\u200b", "a@exam_ple.nl", "a!b@example.nl", "a@b@example.nl",
    "@example.nl", "a@", "", " ", "a\n@example.nl", "a@example.nl\n", "a@example.com.", "a@b.c",
])
def test_tricky_addresses_as_email_validator(email: str) -> None:
    assert valid_email(email) == by_email_validator(email)


def test_plain_addresses_of_one_domain_check_it_once() -> None:
    contacts._valid_domain.cache_clear()
    assert [valid_email(f"lezer{n}@voorbeeld.example") for n in range(100)] == [
        f"lezer{n}@voorbeeld.example" for n in range(100)]
    assert contacts._valid_domain.cache_info().misses == 1
