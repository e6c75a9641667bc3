"""Mail templates: MJML validated with element and line, cached per version, personalised in a sandbox."""
from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from flask import Flask

from app import create_app
from mailing.personalise import Branding, check_body, compile_mail, personalise, wrap_in_layout
from mailing.plaintext import html_to_text
from mailing.rendering import TemplateError, mjml_to_html, validate_mjml


@pytest.fixture
def mail_app() -> Iterator[Flask]:
    """Rendering needs an app (translations, the layout loader) but no database."""
    app = create_app("testing")
    with app.app_context():
        yield app


def mjml(body: str, head: str = "") -> str:
    return (
        "<mjml>\n"
        f"  <mj-head>{head}</mj-head>\n"
        "  <mj-body>\n"
        "    <mj-section>\n"
        "      <mj-column>\n"
        f"{body}\n"
        "      </mj-column>\n"
        "    </mj-section>\n"
        "  </mj-body>\n"
        "</mjml>\n"
    )


@pytest.mark.parametrize(
    ("source", "line", "fragment"),
    [
        (mjml("<mj-txt>Hallo</mj-txt>"), 6, "onbekend element <mj-txt>"),
        (mjml("<mj-text>Hallo"), 6, "<mj-text> wordt niet afgesloten"),
        (mjml("</mj-text>"), 6, "</mj-text> sluit niets af; verwacht was </mj-column>"),
        (mjml("<mj-text>Hallo</mj-text>").replace("</mjml>\n", ""), 1, "<mjml> wordt niet afgesloten"),
        (mjml("<mj-section></mj-section>"), 6, "<mj-section> mag niet binnen <mj-column>"),
        (mjml("Hallo zonder mj-text"), 6, "buiten een <mj-text>"),
        (mjml("<mj-text>x</mj-text>", head='\n<mj-font name="Lato" href="https://x.example/f.css" />'), 3,
         '<mj-font name="Lato">: dit lettertype is al ingebouwd'),
        (mjml('<mj-include path="/etc/passwd" />'), 6, "onbekend element <mj-include>"),
        ("<mjml><mj-head></mj-head></mjml>", None, "geen <mj-body>"),
        ("<html><body></body></html>", 1, "moet met <mjml> beginnen"),
    ],
    ids=["unknown-element", "unclosed-text", "stray-end-tag", "unclosed-root", "misplaced", "loose-text", "built-in-font",
         "include", "no-body", "not-mjml"],
)
def test_invalid_mjml_is_refused_naming_the_element_and_line(source: str, line: int | None, fragment: str) -> None:
    with pytest.raises(TemplateError) as caught:
        validate_mjml(source)
    assert caught.value.line == line
    assert fragment in str(caught.value)
    assert (f"Regel {line}:" in str(caught.value)) == (line is not None)


def test_valid_mjml_renders_and_keeps_jinja_tags_intact() -> None:
    html = mjml_to_html(mjml(
        '<mj-text>Hallo {{ contact.first_name }}{% if n > 1 %} &amp; co{% endif %}</mj-text>\n'
        '<mj-button href="{{ unsubscribe_url }}">Afmelden</mj-button>',
        head='<mj-font name="Huisstijl" href="https://x.example/f.css" />'
             '<mj-style inline="inline">.x { color: red; }</mj-style>',
    ))
    assert "Hallo {{ contact.first_name }}{% if n > 1 %} &amp; co{% endif %}" in html
    assert 'href="{{ unsubscribe_url }}"' in html


def test_mjml_is_rendered_once_per_template_version(mail_app: Flask) -> None:
    source = mjml("<mj-text>Hallo {{ name }}</mj-text>")
    first = compile_mail(source)
    assert compile_mail(source) is first
    assert compile_mail(source.replace("Hallo", "Dag")) is not first


def test_values_are_escaped_in_html_and_plain_in_text(mail_app: Flask) -> None:
    compiled = compile_mail(mjml('<mj-text>Beste {{ contact.first_name }}, <a href="{{ url }}">lees meer</a></mj-text>'))
    mail = personalise(compiled, {"contact": {"first_name": "<script>Anna</script>"}, "url": "https://x.example/a"})
    assert "Beste &lt;script&gt;Anna&lt;/script&gt;," in mail.html
    assert "<script>" not in mail.html
    assert "Beste <script>Anna</script>, lees meer <https://x.example/a>" in mail.text


def test_layout_shows_branding_and_footer(mail_app: Flask) -> None:
    source = wrap_in_layout("<mj-section><mj-column><mj-text>Nieuws</mj-text></mj-column></mj-section>")
    branding = Branding(name="Gemeente Teststad", colour="#aa0000", sender_address="nieuws@teststad.example",
                        logo_url="https://teststad.example/logo.png", privacy_url="https://teststad.example/privacy")
    mail = personalise(compile_mail(source), {"branding": branding, "unsubscribe_url": "https://x.example/af"})
    assert 'src="https://teststad.example/logo.png"' in mail.html and "#aa0000" in mail.html
    for expected in ("Nieuws", "nieuws@teststad.example", "Privacyverklaring <https://teststad.example/privacy>",
                     "Afmelden voor deze berichten <https://x.example/af>"):
        assert expected in mail.text


def test_template_syntax_error_names_the_line_as_written(mail_app: Flask) -> None:
    with pytest.raises(TemplateError) as caught:
        compile_mail(mjml("<mj-text>Hallo</mj-text>\n<mj-text>{{ contact.first_name }</mj-text>"))
    assert caught.value.line == 7


@pytest.mark.parametrize(
    ("body", "line"),
    [
        ("<mj-section><mj-column>\n<mj-text>Hallo</mj-text>\n<mj-txt>x</mj-txt>\n</mj-column></mj-section>", 3),
        ("<mj-section><mj-column>\n<mj-text>{{ contact.first_name }</mj-text>\n</mj-column></mj-section>", 2),
        ("<mj-section><mj-column>\n\n<mj-text>{{ contact.last_name }}</mj-text>\n</mj-column></mj-section>", 3),
    ],
    ids=["mjml", "syntax", "undefined"],
)
def test_errors_in_an_authors_sections_give_the_line_in_those_sections(mail_app: Flask, body: str, line: int) -> None:
    branding = Branding(name="Gemeente", colour="#154273", sender_address="a@gemeente.example")
    with pytest.raises(TemplateError) as caught:
        check_body(body, {"branding": branding, "contact": {"first_name": "Anna"}})
    assert caught.value.line == line and str(caught.value).startswith(f"Regel {line}: ")


def test_unknown_name_names_the_expression_and_line(mail_app: Flask) -> None:
    compiled = compile_mail(mjml("<mj-text>Hallo</mj-text>\n<mj-text>{{ contact.frist_name }}</mj-text>"))
    with pytest.raises(TemplateError) as caught:
        personalise(compiled, {"contact": {"first_name": "Anna"}})
    assert "frist_name" in str(caught.value) and caught.value.line == 7


@pytest.mark.parametrize(
    "expression",
    [
        "{{ config }}",
        "{{ config.SECRET_KEY }}",
        "{{ contact.__class__.__mro__ }}",
        "{{ range.__globals__ }}",
        "{{ ''.__class__.__subclasses__() }}",
        "{{ self._TemplateReference__context }}",
        "{{ contact.first_name.__init__.__globals__ }}",
        "{{ lipsum.__globals__ }}",
        "{{ cycler.__init__.__globals__.os }}",
    ],
)
def test_template_cannot_reach_configuration_or_internals(mail_app: Flask, expression: str) -> None:
    compiled = compile_mail(mjml(f"<mj-text>{expression}</mj-text>"))
    with pytest.raises(TemplateError):
        personalise(compiled, {"contact": {"first_name": "Anna"}})


@pytest.mark.parametrize(
    "body",
    [
        "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
        "{% set r = range(1000) %}{% for a in r %}{% for b in r %}{% for c in r %}{% endfor %}{% endfor %}{% endfor %}",
        "{% macro f(n) %}{% for i in range(100) %}{{ f(n - 1) if n else '' }}{% endfor %}{% endmacro %}{{ f(9) }}",
        "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
        "{{ 'x' * 10000000000 }}",
        "{{ [1] * 10000000000 }}",
        "{{ 'x'|replace('x', 'x' * 1000)|replace('x', 'x' * 1000)|replace('x', 'x' * 1000) }}",
        "{{ 'x'.ljust(10000000000) }}",
        "{{ '%10000000000s' % 'x' }}",
        "{{ 10 ** 100000000 }}",
    ],
    ids=["nested-range", "shared-range", "recursive-loops", "recursion", "string-repeat", "list-repeat",
         "replace-growth", "padding", "percent-format", "power"],
)
def test_runaway_template_stops_with_an_error_instead_of_hanging(mail_app: Flask, body: str) -> None:
    compiled = compile_mail(mjml(f"<mj-text>{body}</mj-text>"))
    started = time.monotonic()
    with pytest.raises(TemplateError):
        personalise(compiled, {})
    assert time.monotonic() - started < 10  # a guard against a hang, not a timing figure


def test_plain_text_skips_head_and_hidden_preheader_and_spells_out_links() -> None:
    text = html_to_text(
        "<html><head><title>T</title><style>p{}</style></head><body>"
        '<div style="display:none">preheader</div><h1>Kop</h1><p>Lees <a href="https://x.example">dit</a>.</p>'
        '<ul><li>een</li><li>twee</li></ul><a href="https://y.example">https://y.example</a></body></html>'
    )
    assert text == "Kop\n\nLees dit <https://x.example>.\n\n- een\n- twee\nhttps://y.example\n"
