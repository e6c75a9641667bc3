"""Mail templates: composed from a layout, rendered once per version, personalised per recipient.

A mail template is MJML with Jinja in it (`{{ contact.first_name }}`, `{{ unsubscribe_url }}`).
It travels in three steps:

1. `compose()` (files only): the layout pass puts a content template into its layout. It knows
   only `%% extends`, `%% block` lines and `[[ ... ]]`, so the `{{ ... }}` of step 3 pass through.
2. `compile_mail()`: MJML to HTML, a plain-text twin of that HTML, both compiled as Jinja
   templates; cached by a hash of the MJML source, so once per template version, never per
   recipient.
3. `personalise()`: both templates rendered with one recipient's values in a sandbox: no access
   to anything not handed in, values HTML-escaped, and limits on loop steps, time and size, so
   that a template written by an officer can neither leak nor hang the worker.
"""
from __future__ import annotations

import dataclasses
import hashlib
import traceback
from collections import OrderedDict
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from html import escape
from threading import Lock
from typing import Any

import jinja2
from flask import current_app
from flask_babel import get_translations
from flask_babel import gettext as _
from jinja2 import nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from markupsafe import Markup

from mailing.models import MailTemplate
from mailing.plaintext import html_to_text
from mailing.rendering import TemplateError, mjml_to_html
from mailing.template_limits import (
    MAX_OUTPUT_CHARS,
    UNBOUNDED_FILTERS,
    BoundedCodeGenerator,
    Budget,
    bounded_buffer,
    bounded_concat,
    bounded_filter,
    bounded_range,
    bounded_test,
    budget,
    charged,
    check_binop,
    check_printf,
    counted,
    output_size,
    refuse_above,
    safe_method,
    size_compared_and_hashed,
    sized,
)

DEFAULT_LAYOUT = "mail/layout.mjml"
DATE_FILTERS = ("local_datetime", "local_date", "local_time")
DATETIME_TAG = "$datetime"
_AUTHOR_ERRORS = (jinja2.TemplateError, ArithmeticError, TypeError, ValueError, LookupError, RecursionError)


@dataclass(frozen=True)
class Branding:
    """The organisation as the layout shows it: header, colour and footer."""

    name: str
    colour: str
    sender_address: str
    logo_url: str | None = None
    privacy_contact: str | None = None
    privacy_url: str | None = None


@dataclass(frozen=True)
class RenderedMail:
    html: str | None
    text: str


@dataclass(frozen=True)
class CompiledMail:
    source: str
    html: jinja2.Template
    text: jinja2.Template
    html_source: str
    text_source: str


_translations: ContextVar[Any] = ContextVar("mail_translations")


def _template_gettext(string: str, **variables: Any) -> str:
    """`_()` in mail templates: flask_babel's gettext, with the translations looked up once per
    personalised message instead of per call (the lookup cost a fifth of personalising)."""
    text = _translations.get().ugettext(string)
    if not variables:
        return text
    check_printf(text, variables)
    return text % variables


def _replace(value: str, old: str, new: str, count: int | None = None) -> str:
    growth = (len(new) - len(old)) * (value.count(old) if old else len(value) + 1)
    refuse_above(len(value) + max(growth, 0))
    return str(value).replace(old, new, -1 if count is None else count)


_SMALL_WHEN_SHORT = frozenset({str, Markup})


def _printable(value: Any) -> Any:
    """Every `{{ }}` passes here before it is printed: paid for by its printed size."""
    if value is None:
        return ""
    if type(value) in _SMALL_WHEN_SHORT and len(value) < 10_000:  # the usual case, kept cheap
        size = len(value)
    else:
        size = output_size(value)
        refuse_above(size)
    budget.get().produce(size)
    return value


class MailEnvironment(ImmutableSandboxedEnvironment):
    """Jinja for per-recipient values: sandboxed, strict about unknown names, with limits on every
    operation (see mailing.template_limits)."""

    intercepted_binops = frozenset({"*", "**", "%", "+"})
    code_generator_class = BoundedCodeGenerator
    concat = staticmethod(bounded_buffer)
    bounded_concat = staticmethod(bounded_concat)

    def __init__(self, date_filters: Mapping[str, Callable[..., str]]) -> None:
        super().__init__(autoescape=True, undefined=jinja2.StrictUndefined, finalize=_printable)
        filters = {name: function for name, function in self.filters.items() if name not in UNBOUNDED_FILTERS}
        filters |= {"replace": _replace, **date_filters}
        self.filters = {name: bounded_filter(name, function) for name, function in filters.items()}
        self.filters |= {"_counted": counted, "_sized": sized}
        self.tests = {name: bounded_test(function) for name, function in self.tests.items()}
        self.globals = {"range": bounded_range, "_": _template_gettext, "gettext": _template_gettext}

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        """Every `for` loop iterates through `_counted`, which spends the render's step budget;
        what is compared or hashed goes through `_sized`."""
        tree = super()._parse(source, name, filename)
        size_compared_and_hashed(tree)
        for loop in tree.find_all(nodes.For):
            loop.iter = nodes.Filter(loop.iter, "_counted", [], [], None, None, lineno=loop.lineno)
        return tree

    def call(__self, __context: jinja2.runtime.Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        budget.get().spend()
        result = super().call(__context, __obj, *args, **kwargs)
        return result if isinstance(__obj, jinja2.runtime.Macro) else charged(result)  # a macro paid in concat

    def call_binop(self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any) -> Any:
        check_binop(operator, left, right)
        return charged(super().call_binop(context, operator, left, right))

    def wrap_str_format(self, value: Any) -> None:
        """No `str.format` at all (the sandbox would otherwise hand it out before asking
        `is_safe_attribute`): its widths (`'{:>999999999}'`) are not bounded."""
        return None

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if safe_method(obj, attr) is False:
            return False
        return super().is_safe_attribute(obj, attr, value)


class LayoutEnvironment(ImmutableSandboxedEnvironment):
    """Puts content templates into layouts; leaves every `{{ }}` and `{% %}` for personalisation."""

    def __init__(self, loader: jinja2.BaseLoader) -> None:
        super().__init__(
            loader=loader,
            autoescape=False,  # it assembles MJML source, not HTML for a reader
            undefined=jinja2.StrictUndefined,
            block_start_string="[%", block_end_string="%]",
            variable_start_string="[[", variable_end_string="]]",
            comment_start_string="[#", comment_end_string="#]",
            line_statement_prefix="%%", line_comment_prefix="%#",
            keep_trailing_newline=True,
        )


class _State:
    """Per app: both environments and the compiled templates, newest last."""

    max_compiled = 64

    def __init__(self, app_environment: jinja2.Environment) -> None:
        self.layouts = LayoutEnvironment(app_environment.loader)
        # The app's own date filters (Europe/Amsterdam), so mails show times as pages do.
        self.mails = MailEnvironment({name: app_environment.filters[name] for name in DATE_FILTERS})
        self.compiled: OrderedDict[str, CompiledMail] = OrderedDict()
        self.lock = Lock()


def _state() -> _State:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if "mailing.templates" not in app.extensions:
        app.extensions["mailing.templates"] = _State(app.jinja_env)
    return app.extensions["mailing.templates"]


def compose(content_template: str) -> str:
    """The MJML source of a template file that extends a layout (`%% extends "mail/layout.mjml"`)."""
    return _state().layouts.get_template(content_template).render()


def wrap_in_layout(body: str, layout: str = DEFAULT_LAYOUT) -> str:
    """MJML source with `body` (sections written by an author) in the layout's content block."""
    return _state().layouts.get_template(layout).render(content=body)


def source_hash(source: str) -> str:
    return hashlib.sha256(source.encode()).hexdigest()


def compile_mail(source: str) -> CompiledMail:
    """Renders MJML `source` to HTML and text templates; cached per source version (its hash)."""
    return _cached(source_hash(source), lambda environment: _compile(environment, source))


def compile_rendered(digest: str, source: str, html: str, text: str) -> CompiledMail:
    """The compiled templates of a stored version (`MailTemplate`), without running MJML again."""
    return _cached(digest, lambda environment: _compiled(environment, source, html, text))


def _cached(digest: str, compile_with: Callable[[MailEnvironment], CompiledMail]) -> CompiledMail:
    state = _state()
    with state.lock:
        if digest in state.compiled:
            state.compiled.move_to_end(digest)
            return state.compiled[digest]
    compiled = compile_with(state.mails)
    with state.lock:
        state.compiled[digest] = compiled
        while len(state.compiled) > state.max_compiled:
            state.compiled.popitem(last=False)
    return compiled


def _compile(environment: MailEnvironment, source: str) -> CompiledMail:
    _parse_or_raise(environment, source)  # syntax errors with the line as the author wrote it
    html = mjml_to_html(source)
    text = "{% autoescape false %}" + html_to_text(html) + "{% endautoescape %}"
    return _compiled(environment, source, html, text)


def _compiled(environment: MailEnvironment, source: str, html: str, text: str) -> CompiledMail:
    return CompiledMail(
        source=source,
        html=_parse_or_raise(environment, html),
        text=_parse_or_raise(environment, text),
        html_source=html,
        text_source=text,
    )


def _parse_or_raise(environment: MailEnvironment, source: str) -> jinja2.Template:
    try:
        return environment.from_string(source)
    except jinja2.TemplateSyntaxError as error:
        raise TemplateError(_("fout in de template: %(error)s", error=error.message), error.lineno) from error


def personalise(compiled: CompiledMail, context: Mapping[str, Any]) -> RenderedMail:
    """HTML and text for one recipient. Raises TemplateError (with the source line where known).

    One budget (steps, seconds, bytes) covers both parts and the search for an error's line."""
    token = _translations.set(get_translations())
    budget_token = budget.set(Budget())
    try:
        return RenderedMail(html=_render(compiled.html, context), text=_render(compiled.text, context))
    except TemplateError:
        raise
    except _AUTHOR_ERRORS as error:
        raise TemplateError(_describe(error), _line_in_source(compiled.source, context)) from error
    finally:
        budget.reset(budget_token)
        _translations.reset(token)


def to_plain(values: Any) -> Any:
    """Values for a JSON column: datetimes become tagged ISO strings (`from_plain` restores them)."""
    if isinstance(values, datetime):
        return {DATETIME_TAG: values.isoformat()}
    if dataclasses.is_dataclass(values) and not isinstance(values, type):
        return to_plain(dataclasses.asdict(values))
    if isinstance(values, Mapping):
        return {key: to_plain(value) for key, value in values.items()}
    if isinstance(values, list | tuple):
        return [to_plain(value) for value in values]
    return values


def from_plain(values: Any) -> Any:
    if isinstance(values, Mapping):
        if values.keys() == {DATETIME_TAG}:
            return datetime.fromisoformat(values[DATETIME_TAG])
        return {key: from_plain(value) for key, value in values.items()}
    if isinstance(values, list):
        return [from_plain(value) for value in values]
    return values


def rewrite_links(mail: RenderedMail, redirects: Mapping[str, str]) -> RenderedMail:
    """Tracked links: whole href values in the HTML only (a link that starts another is never half
    replaced); the plain-text part shows links as "text <URL>" (see mailing.plaintext)."""
    html, text = mail.html, mail.text
    for url, redirect in redirects.items():
        html = html.replace(f'href="{escape(url)}"', f'href="{redirect}"')
        text = text.replace(f"<{url}>", f"<{redirect}>")
    return RenderedMail(html=html, text=text)


@dataclass(frozen=True)
class TemplateVersion:
    """A stored mail template (`MailTemplate`), ready to personalise: compiled, with its shared values."""

    compiled: CompiledMail
    shared: dict[str, Any]
    redirects: dict[str, str]

    @classmethod
    def of(cls, template: MailTemplate) -> TemplateVersion:
        compiled = compile_rendered(template.source_hash, template.source, template.html_source, template.text_source)
        return cls(compiled, from_plain(template.shared), template.redirects or {})

    def personalise(self, context: Mapping[str, Any]) -> RenderedMail:
        return rewrite_links(personalise(self.compiled, self.shared | dict(context)), self.redirects)


def render_mail(content_template: str, context: Mapping[str, Any]) -> RenderedMail:
    """A mail from a template file in `templates/mail/`, personalised with `context`."""
    return personalise(compile_mail(compose(content_template)), context)


def check_template(source: str, context: Mapping[str, Any]) -> RenderedMail:
    """For live preview: compiles and personalises `source` with sample values, or raises TemplateError."""
    return personalise(compile_mail(source), context)


def check_body(body: str, context: Mapping[str, Any], layout: str = DEFAULT_LAYOUT) -> RenderedMail:
    """Live preview of sections an author wrote, in the layout; errors give the line in `body`."""
    source = wrap_in_layout(body, layout)
    try:
        return check_template(source, context)
    except TemplateError as error:
        offset = source[: source.index(body)].count("\n")
        inside = error.line is not None and 0 < error.line - offset <= body.count("\n") + 1
        raise TemplateError(error.message, error.line - offset if inside else None) from error


def _render(template: jinja2.Template, context: Mapping[str, Any]) -> str:
    output, size = [], 0
    for chunk in template.generate(context):
        size += len(chunk)
        if size > MAX_OUTPUT_CHARS:
            raise TemplateError(_("de template maakt een te groot bericht."))
        output.append(chunk)
    return "".join(output)


def _describe(error: Exception) -> str:
    if isinstance(error, jinja2.UndefinedError):
        return _("onbekende naam of eigenschap: %(error)s", error=error.message)
    if isinstance(error, SecurityError):
        return _("dit is in een mailtemplate niet toegestaan: %(error)s", error=str(error))
    if isinstance(error, RecursionError):
        return _("de template roept zichzelf eindeloos aan.")
    return _("fout in de template: %(error)s", error=str(error))


def _line_in_source(source: str, context: Mapping[str, Any]) -> int | None:
    """Where the error happens in the MJML as written: personalise the source itself once more."""
    try:
        _state().mails.from_string(source).render(context)
    except Exception as error:  # noqa: BLE001 - only its position is wanted
        lines = [frame.lineno for frame in traceback.extract_tb(error.__traceback__)
                 if frame.filename == "<template>"]
        return lines[-1] if lines else None
    return None

