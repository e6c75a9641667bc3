"""Building messages: whatever the HTML, no line breaks RFC 5322's limit and the HTML arrives intact."""
from __future__ import annotations

import email
import html as html_module
from email.header import Header
from email.policy import default as default_policy

from hypothesis import given
from hypothesis import strategies as st

import accounts.models  # noqa: F401  (OutgoingMessage's relationships name its mappers; run alone, nothing else loads them)
from mailing.message import MAX_LINE, build_message, header_line
from mailing.models import OutgoingMessage
from mailing.outbox import HeaderInjectionError
from mailing.personalise import RenderedMail

LINE_LENGTHS = st.sampled_from([0, 1, 80, MAX_LINE - 2, MAX_LINE - 1, MAX_LINE, MAX_LINE + 1, 2500])


@given(st.lists(st.tuples(LINE_LENGTHS, st.sampled_from("aé")), min_size=1, max_size=6),
       st.sampled_from(["\n", "\r\n"]))
def test_no_line_of_any_html_exceeds_the_limit_and_the_html_survives(lines: list[tuple[int, str]], end: str) -> None:
    html = end.join(character * length for length, character in lines)
    message = OutgoingMessage(from_address="nieuws@gemeente.example", to_address="lezer@example.org",
                              subject="Test", text_body="", message_id="<1@gemeente.example>")
    data = build_message(message, bodies=RenderedMail(html=html, text="tekst"))
    assert max(len(line) for line in data.split(b"\r\n")) <= MAX_LINE
    received = email.message_from_bytes(data, policy=default_policy).get_body(("html",))
    arrived = html_module.unescape(received.get_content()).replace("\r\n", "\n")  # é may travel as &#233;
    assert arrived.rstrip("\n") == html.replace("\r\n", "\n").rstrip("\n")


# Around 78 characters (where folding starts) and around the hard limit with the name (18 characters).
LONG_VALUE_LENGTHS = st.sampled_from([61, 62, 200, MAX_LINE - 19, MAX_LINE - 18, MAX_LINE - 17, MAX_LINE])
UNFOLDABLE_ASCII = LONG_VALUE_LENGTHS.flatmap(
    lambda length: st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=length, max_size=length))


@given(UNFOLDABLE_ASCII | st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=70, max_size=400))
def test_a_long_header_value_means_what_the_email_package_folds_it_to(value: str) -> None:
    """The one-line fast path for long unfoldable values against `email.header.Header`: both
    parsed by the `email` parser (policy default) give the same value, and no line is too long."""
    try:
        ours = header_line("List-Unsubscribe", value)
    except HeaderInjectionError:  # too long for one line even when folded: refused either way
        return
    folded = Header(value, "us-ascii", header_name="List-Unsubscribe").encode(linesep="\r\n")
    theirs = f"List-Unsubscribe: {folded}\r\n".encode("ascii")
    assert max(len(line) for line in ours.split(b"\r\n")) <= MAX_LINE
    parsed = [email.message_from_bytes(line + b"\r\nbody\r\n", policy=default_policy)["List-Unsubscribe"]
              for line in (ours, theirs)]
    # Unfolding leaves the folding white space before the value; it means nothing (RFC 5322 3.2.2).
    assert parsed[0].lstrip() == parsed[1].lstrip()
    if ours.count(b"\r\n") == 1:  # the fast path: the value exactly as given
        assert parsed[0] == value
