"""Building messages: whatever the HTML, no line breaks RFC 5322's limit and the HTML arrives intact."""
from __future__ import annotations

import email
import html as html_module
from email.policy import default as default_policy

from hypothesis import given
from hypothesis import strategies as st

from mailing.message import MAX_LINE, build_message
from mailing.models import OutgoingMessage
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
