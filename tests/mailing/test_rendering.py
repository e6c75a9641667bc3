"""Mail templates: MJML validated with element and line, cached per version, personalised in a sandbox."""
from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timezone

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


LIMIT_ERRORS = ("te grote", "te groot", "te veel", "te lang", "niet toegestaan", "alleen getallen")
ONE_CALL_BOMBS = {
    "center": "{{ 'a'|center(300000000)|length }}",
    "indent": "{{ 'a'|indent(300000000, true) }}",
    "indent-lines": "{{ ('a\n' * 100000)|indent(1000) }}",
    "indent-string": "{{ ('a\n' * 100000)|indent('x' * 1000) }}",
    "format-width": "{{ '%0300000000d'|format(1) }}",
    "format-star": "{{ '%*d'|format(300000000, 1) }}",
    "format-precision": "{{ '%.300000000f'|format(1) }}",
    "batch-fill": "{{ [1]|batch(30000000, 0)|list|length }}",
    "slice": "{{ [1]|slice(4000000)|list }}",
    "slice-more": "{{ [1]|slice(20000000)|list }}",
    "slice-lazy": "{{ [1]|slice(100000)|list|length }}",
    "string-times-power": "{{ 'a' * 10**9 }}",
    "list-times": "{{ [1, 2] * 1000000000 }}",
    "range": "{{ range(10**9)|list }}",
    "str-format": "{{ '{:>1000000000}'.format(1) }}",
    "markup-format": "{{ ('{:>1000000000}'|safe).format(1) }}",
    "wordwrap": "{{ ('a ' * 1000000)|wordwrap(1, wrapstring='x' * 1000) }}",
    "join": "{{ (['x' * 1000000] * 1000)|join }}",
    "join-separator": "{{ range(100000)|join('x' * 100000) }}",
    "replace": "{{ ('a' * 1000)|replace('a', 'b' * 1000000) }}",
    "percent": "{{ '%s%0900000000d' % ('a', 1) }}",
    "gettext-width": "{{ _('%(a)0300000000d', a=1) }}",
    "power-chain": "{{ ((10**64)**64)**64 }}",
    "multiply-chain": "{% set a = 10**4000 %}{% set b = a * a %}{% set c = b * b %}{{ (c * c)|length }}",
    "concat": "{% set a = 'x' * 2000000 %}{{ (a ~ a ~ a ~ a ~ a ~ a)|length }}",
    "plus": "{% set a = 'x' * 2000000 %}{{ (a + a)|length }}",
    "list-literal-join": "{% set a = 'x' * 1000000 %}{{ [a, a, a, a, a, a, a, a, a, a, a, a]|join|length }}",
    "macro-buffer": "{% macro m() %}{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}{% endmacro %}{{ m()|length }}",
    "set-block": "{% set b %}{% for i in range(100000) %}<p>{{ 'y' * 500 }}</p>{% endfor %}{% endset %}{{ b|length }}",
    "print-shared-list": "{% set a = 'x' * 2000000 %}{{ [a, a, a, a, a, a, a, a, a, a, a, a, a] }}",
    "bytes-center": "{{ 'a'.encode().center(300000000) }}",
    "to-bytes": "{{ (5).to_bytes(300000000, 'big') }}",
    "translate": "{{ 'abc'.translate({97: 'x' * 1000000}) }}",
    "expandtabs": "{{ ('\t' * 1000)|string|attr('expandtabs') }}",
    "map-join": "{{ ('ab' * 1000000)|batch(2)|map('join')|list|length }}",
    "sum-lists": "{{ [[1] * 1000] * 1000|sum(start=[]) }}",
    "urlize": "{{ ('a ' * 1000000)|urlize|length }}",
    "compare-nested": "NESTED{{ a == b }}",
    "in-nested": "NESTED{{ a in [b] }}",
    "hash-nested": "{% set t = ('x', 'y') %}" + "{% set t = (t, t) %}" * 40 + "{{ {t: 1} }}",
    "subscript-nested": "{% set t = ('x', 'y') %}" + "{% set t = (t, t) %}" * 40 + "{{ {'k': 1}[t] }}",
    "sameas-nested": "NESTED{{ a is sameas b }}",
    "sort-nested": "NESTED{{ [a, b]|sort }}",
    "date-pattern": "{{ when|local_datetime('EEEE ' * 100000) }}",
    "strftime": "{{ when.strftime('%c' * 1000000) }}",
    "many-small": "{% for i in range(100000) %}{% set s = 'x' * 1000000 %}{{ s|length }}{% endfor %}",
}


# Forty levels of lists that share their items: a few KB in memory, 2**40 comparisons or hashes.
NESTED = "{% set a = 'x' * 1000 %}{% set b = a ~ '' %}" + "{% set a = [a, a] %}{% set b = [b, b] %}" * 40
ONE_CALL_BOMBS = {name: body.replace("NESTED", NESTED) for name, body in ONE_CALL_BOMBS.items()}


@pytest.mark.parametrize("body", ONE_CALL_BOMBS.values(), ids=ONE_CALL_BOMBS.keys())
def test_no_single_operation_exceeds_the_limits(mail_app: Flask, body: str) -> None:
    """Each of these would take seconds and hundreds of MB in one filter, method or operator call if
    the limit were checked on the result; refused before it runs, it says which limit."""
    compiled = compile_mail(mjml(f"<mj-text>{body}</mj-text>"))
    with pytest.raises(TemplateError) as refused:
        personalise(compiled, {"when": datetime(2026, 12, 1, 20, 0, tzinfo=timezone.utc)})
    assert any(phrase in refused.value.message for phrase in LIMIT_ERRORS), refused.value.message


def test_constant_filter_calls_are_not_folded_at_compile_time(mail_app: Flask) -> None:
    """Jinja evaluates a filter on constants while compiling, outside every limit: not here."""
    compiled = compile_mail(mjml("<mj-text>{{ 'a'|center(300000000) }}</mj-text>"))
    assert "center(" in compiled.html_source
    with pytest.raises(TemplateError):
        personalise(compiled, {})


def test_ordinary_use_of_the_bounded_filters_still_works(mail_app: Flask) -> None:
    body = ("{{ 'a'|center(5) }}|{{ 'a\nb'|indent(2, true) }}|{{ '%05d'|format(42) }}|{{ [1, 2, 3]|batch(2)|list }}|"
            "{{ [1, 2, 3]|slice(2)|list }}|{{ ['a', 'b']|join(', ') }}|{{ 'aa bb'|wordwrap(2) }}|"
            "{{ 'lange tekst'|truncate(9, leeway=0) }}|{{ [1, 2]|sum }}|{{ 'x' * 3 }}|{{ 2 ** 10 }}|{{ 'a' ~ 'b' + 'c' }}|"
            "{{ 'Jan'.upper() }}|{{ contact.first_name.split('n') }}")
    text = personalise(compile_mail(mjml(f"<mj-text>{body}</mj-text>")), {"contact": {"first_name": "Anna"}}).text
    assert ("  a  |  a b|00042|[[1, 2], [3]]|[[1, 2], [3]]|a, b|aa\nbb|lange...|3|xxx|1024|abc|JAN|['A', '', 'a']"
            in text)
