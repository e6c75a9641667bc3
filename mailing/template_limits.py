"""What one personalised mail may cost: steps, seconds and bytes, checked before each operation.

A limit checked after an operation comes too late when that one operation is the problem
(`'a'|center(300000000)` allocates 300 MB before anything could look at its result). So every
operation an officer's template can run is bounded before it runs, from its inputs:

- filters: the size arguments (`center`, `indent`, `wordwrap`, `batch`, `slice`, `format` widths,
  `join`'s separator) give the size of the result before it is made; the text the inputs make is
  bounded; an iterator a filter returns spends a step per item;
- methods: only those of `str`, `dict`, `list` and numbers that cannot grow their result beyond
  their input (no `center`, `format`, `translate`, `to_bytes`, ...);
- operators: `*`, `**`, `+` and `~` from the sizes of their operands, `%` on text not at all;
- output and buffered blocks (macros, `{% set %}` blocks) are charged before they are joined.

Every result is charged to the render's byte budget, so many small operations cannot add up to a
large one either. Compile-time folding of constant filter calls (`{{ 'a'|center(9**9) }}`) is not
allowed: a limit has to be running to allow any filter.
"""
from __future__ import annotations

import datetime
import functools
import inspect
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from typing import Any

from flask_babel import gettext as _
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from markupsafe import Markup

from mailing.rendering import TemplateError

MAX_STEPS = 100_000  # loop iterations plus calls, per rendered message
MAX_SECONDS = 2.0
MAX_OUTPUT_CHARS = 2_000_000  # one text, and the whole message
MAX_ITEMS = 100_000  # one list; the sandbox's range() has the same limit
MAX_PRODUCED_BYTES = 24_000_000  # everything the operations of one render make together
MAX_INT_BITS = 20_000  # Python prints no integer longer than 4,300 digits (14,300 bits) anyway
MAX_FORMAT_WIDTH = 10_000  # width or precision in "%10000s"
# The attributes of built-in values a template may use: methods whose result is never much larger
# than the value and its arguments (no `strftime('%c' * 10**6)`).
SAFE_METHODS: Mapping[type, frozenset[str]] = {
    str: frozenset({
        "capitalize", "casefold", "count", "endswith", "find", "index", "isalnum", "isalpha", "isascii",
        "isdecimal", "isdigit", "islower", "isnumeric", "isspace", "istitle", "isupper", "lower", "lstrip",
        "partition", "removeprefix", "removesuffix", "rfind", "rindex", "rpartition", "rsplit", "rstrip",
        "split", "splitlines", "startswith", "strip", "swapcase", "title", "upper", "striptags", "unescape",
    }),
    dict: frozenset({"get", "items", "keys", "values"}),
    list: frozenset({"count", "index"}),
    tuple: frozenset({"count", "index"}),
    int: frozenset({"bit_length", "real", "imag", "numerator", "denominator"}),
    float: frozenset({"is_integer", "real", "imag"}),
    bool: frozenset(),
    datetime.datetime: frozenset({
        "year", "month", "day", "hour", "minute", "second", "microsecond", "tzinfo", "fold", "date", "time",
        "weekday", "isoweekday", "isoformat", "isocalendar", "timestamp", "utcoffset", "tzname", "toordinal",
    }),
    datetime.date: frozenset({"year", "month", "day", "weekday", "isoweekday", "isoformat", "isocalendar",
                              "toordinal"}),
    datetime.time: frozenset({"hour", "minute", "second", "microsecond", "tzinfo", "fold", "isoformat"}),
    bytes: frozenset(),
    bytearray: frozenset(),
}
_BUILT_IN = tuple(SAFE_METHODS)
_PRINTF_FIELD = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d*))?")


class Budget:
    """One render's allowance; `spend()` per step, `produce()` per byte made."""

    def __init__(self) -> None:
        self.steps_left = MAX_STEPS
        self.bytes_left = MAX_PRODUCED_BYTES
        self.deadline = time.monotonic() + MAX_SECONDS

    def spend(self) -> None:
        self.steps_left -= 1
        if self.steps_left < 0:
            raise TemplateError(_("de template doet te veel stappen (meer dan %(max)s).", max=MAX_STEPS))
        if time.monotonic() > self.deadline:
            raise TemplateError(_("de template doet er te lang over (meer dan %(max)s seconden).", max=MAX_SECONDS))

    def produce(self, size: int) -> None:
        self.bytes_left -= size
        if self.bytes_left < 0:
            raise TemplateError(_("de template maakt samen te veel tekst of te lange lijsten (meer dan %(max)s MB).",
                                  max=MAX_PRODUCED_BYTES // 1_000_000))


budget: ContextVar[Budget] = ContextVar("mail_template_budget")


def _active() -> Budget:
    active = budget.get(None)
    if active is None:  # the compiler folding a constant expression: leave it for the render
        raise TemplateError("not while compiling")
    return active


def too_large() -> TemplateError:
    return TemplateError(_("de template maakt een te grote tekst of lijst."))


def refuse_above(size: int, limit: int = MAX_OUTPUT_CHARS) -> None:
    if size > limit:
        raise too_large()


def text_size(value: Any, limit: int = MAX_OUTPUT_CHARS) -> int:
    """About how long `str(value)` is, counting no further than just past `limit` (shared items
    of nested lists count each time they would be printed)."""
    if isinstance(value, str | bytes):
        return len(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value.bit_length() // 3 + 1
    if not isinstance(value, list | tuple | dict | set | frozenset):
        return 0  # values handed in by the code (a date, the branding): their own size
    total, pending = 2, [value]
    while pending and total <= limit:
        item = pending.pop()
        if isinstance(item, dict):
            total += 2 + 4 * len(item)
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            total += 2 + 2 * len(item)
            pending.extend(item)
        else:
            total += text_size(item, limit)
    return total


def _bytes_of(value: Any) -> int:
    if isinstance(value, str | bytes):
        return sys.getsizeof(value)
    if isinstance(value, list | tuple | dict | set | frozenset):
        refuse_above(len(value), MAX_ITEMS)
        items = value.values() if isinstance(value, dict) else value
        return sys.getsizeof(value) + sum(sys.getsizeof(item) for item in items if isinstance(item, str | bytes))
    return 0


def charged(value: Any) -> Any:
    """A result made by the template: within the limits, paid for, and counted item by item if lazy."""
    if type(value) is str:  # the usual case, kept cheap
        refuse_above(len(value))
        _active().produce(sys.getsizeof(value))
        return value
    if isinstance(value, Iterator):
        return counted(value)
    if isinstance(value, str | bytes):
        refuse_above(len(value))
    _active().produce(_bytes_of(value))
    return value


def counted(iterable: Iterable[Any]) -> Iterator[Any]:
    for item in iterable:
        budget.get().spend()
        yield item


def bounded_range(*args: int) -> range:
    """`range()` in a template: at most MAX_ITEMS numbers."""
    numbers = range(*args)
    refuse_above(len(numbers), MAX_ITEMS)
    return numbers


def check_printf(template: str, arguments: Any) -> None:
    """`"%05d" % x`-style formatting: no width or precision above MAX_FORMAT_WIDTH, none taken from
    the arguments (`*`)."""
    for field in _PRINTF_FIELD.finditer(template):
        for number in field.groups():
            if number == "*" or (number and int(number) > MAX_FORMAT_WIDTH):
                raise TemplateError(_("te grote breedte in een opmaak (meer dan %(max)s).", max=MAX_FORMAT_WIDTH))
    refuse_above(len(template) + text_size(arguments))


# Per filter: the size of the result from the arguments (after Jinja's environment or context,
# if it passes one), before the filter runs.
def _center(value: Any, width: int = 80) -> int:
    return max(len(str(value)), int(width))


def _indent(s: Any, width: int | str = 4, first: bool = False, blank: bool = False) -> int:
    step = len(width) if isinstance(width, str) else int(width)
    return len(str(s)) + (str(s).count("\n") + 1) * max(step, 0)


def _wordwrap(s: Any, width: int = 79, break_long_words: bool = True,
              wrapstring: str | None = None, break_on_hyphens: bool = True) -> int:
    return (len(str(s)) + 1) * (1 + len(wrapstring or "\n"))


def _truncate(s: Any, length: int = 255, killwords: bool = False, end: str = "...",
              leeway: int | None = None) -> int:
    return min(len(str(s)), int(length)) + len(end)


def _lines(value: Any, count: int, fill_with: Any = None) -> int:
    refuse_above(int(count), MAX_ITEMS)
    return 0


def _format(value: Any, *args: Any, **kwargs: Any) -> int:
    check_printf(str(value), (args, kwargs))
    return 0


def _join(value: Any, d: str = "", attribute: Any = None) -> int:
    count = len(value) if hasattr(value, "__len__") else 0  # an iterator arrives as a list (MATERIALISED)
    return text_size(value) + count * len(str(d))


def _sum(iterable: Any, attribute: Any = None, start: Any = 0) -> int:
    if not isinstance(start, int | float):  # sum(lists, start=[]) copies quadratically
        raise TemplateError(_("sum telt alleen getallen op."))
    return 0


RESULT_SIZES: Mapping[str, Callable[..., int]] = {
    "center": _center, "indent": _indent, "wordwrap": _wordwrap, "truncate": _truncate, "batch": _lines,
    "slice": _lines, "format": _format, "join": _join, "sum": _sum,
}
MATERIALISED = frozenset({"join"})  # filters whose result size needs the number of items first
UNBOUNDED_FILTERS = frozenset({"pprint"})  # pretty-printing is slow in Python and no use in a mail
# Filters that work word by word in Python: a shorter text, so that one call stays well under a second.
SLOW_FILTER_INPUT = {"urlize": 100_000, "title": 200_000, "wordwrap": 200_000,
                     # a date pattern ("EEEE d MMMM") is parsed in Python, token by token
                     "local_datetime": 1_000, "local_date": 1_000, "local_time": 1_000}


def bounded_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """`function` as a filter that checks its result's size before and after it runs."""
    result_size = RESULT_SIZES.get(name)
    passed = 1 if getattr(function, "jinja_pass_arg", None) else 0
    input_limit = SLOW_FILTER_INPUT.get(name, MAX_OUTPUT_CHARS)
    bind_to = inspect.signature(result_size).bind if result_size else None

    @functools.wraps(function)  # keeps Jinja's pass_context marks
    def bounded(*args: Any, **kwargs: Any) -> Any:
        _active().spend()
        if name in MATERIALISED and len(args) > passed and isinstance(args[passed], Iterator):
            args = (*args[:passed], list(args[passed]), *args[passed + 1:])
        refuse_above(sum(text_size(arg) for arg in args[passed:]) + sum(text_size(v) for v in kwargs.values()),
                     input_limit)
        if bind_to:
            bound = bind_to(*args[passed:], **kwargs)  # a TypeError here is the author's wrong arguments
            refuse_above(result_size(*bound.args, **bound.kwargs))
        return charged(function(*args, **kwargs))

    return bounded


def check_binop(operator: str, left: Any, right: Any) -> None:
    """Refuses `*`, `**`, `+` and `%` whose result would exceed the limits, before it is computed."""
    if operator == "%" and isinstance(left, str | bytes):
        raise TemplateError(_("tekst opmaken met % is in mailtemplates niet toegestaan."))
    numbers = all(isinstance(side, int) and not isinstance(side, bool) for side in (left, right))
    if operator == "**" and numbers and right > 0:
        refuse_above(abs(right), MAX_INT_BITS)
        refuse_above(max(left.bit_length(), 1) * right, MAX_INT_BITS)
    elif operator == "*" and numbers:
        refuse_above(left.bit_length() + right.bit_length(), MAX_INT_BITS)
    elif operator == "*":
        for sized, times in ((left, right), (right, left)):
            if hasattr(sized, "__len__") and isinstance(times, int):
                limit = MAX_OUTPUT_CHARS if isinstance(sized, str | bytes) else MAX_ITEMS
                refuse_above(len(sized) * max(times, 0), limit)
    elif operator == "+" and numbers:
        refuse_above(max(left.bit_length(), right.bit_length()), MAX_INT_BITS)
    elif operator == "+" and hasattr(left, "__len__") and hasattr(right, "__len__"):
        refuse_above(len(left) + len(right), MAX_OUTPUT_CHARS if isinstance(left, str) else MAX_ITEMS)


def output_size(value: Any) -> int:
    """What printing `value` costs: its text, escaped (`<` becomes `&lt;`)."""
    size = len(value) if type(value) is str else text_size(value)
    if size > 10_000 and isinstance(value, str) and not isinstance(value, Markup):
        size += sum(value.count(char) for char in "<>&\"'") * 4
    return size


def bounded_concat(join: Callable[[Iterable[Any]], str], parts: tuple[Any, ...]) -> str:
    """`a ~ b`: the joined length is known before joining."""
    refuse_above(sum(output_size(part) for part in parts))
    return charged(join(parts))


def bounded_buffer(parts: Iterable[str]) -> str:
    """The output of a macro, a call block or a `{% set %}` block, paid for before it is joined."""
    parts = parts if isinstance(parts, list) else list(parts)
    size = sum(map(len, parts))
    refuse_above(size)
    active = budget.get(None)
    if active is not None:
        active.produce(size)
    return "".join(parts)


class BoundedCodeGenerator(CodeGenerator):
    """Compiles `~` to `environment.bounded_concat(...)`, which checks the sizes first."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        if frame.eval_ctx.volatile:
            join = "(markup_join if context.eval_ctx.volatile else str_join)"
        else:
            join = "markup_join" if frame.eval_ctx.autoescape else "str_join"
        self.write(f"environment.bounded_concat({join}, (")
        for part in node.nodes:
            self.visit(part, frame)
            self.write(", ")
        self.write("))")


def sized(value: Any) -> Any:
    """`value` unchanged, if comparing or hashing it stays within the limits: a literal list of
    lists that share their items (`[l, l]`, thirty levels deep) is small in memory but would take
    forever to compare or hash."""
    refuse_above(text_size(value))
    return value


def bounded_test(function: Callable[..., bool]) -> Callable[..., bool]:
    """A Jinja test (`is sameas`, `is in`, ...) whose arguments are sized first."""
    passed = 1 if getattr(function, "jinja_pass_arg", None) else 0

    @functools.wraps(function)
    def bounded(*args: Any, **kwargs: Any) -> bool:
        refuse_above(sum(text_size(arg) for arg in args[passed:]) + sum(text_size(v) for v in kwargs.values()))
        return function(*args, **kwargs)

    return bounded


def size_compared_and_hashed(tree: nodes.Template) -> None:
    """Sends the operands of comparisons, dictionary keys and subscripts through `_sized` first
    (constants need not: they are as small as the source)."""
    def wrapped(expression: nodes.Expr) -> nodes.Expr:
        if isinstance(expression, nodes.Const | nodes.Slice):
            return expression
        return nodes.Filter(expression, "_sized", [], [], None, None, lineno=expression.lineno)

    for node in list(tree.find_all((nodes.Compare, nodes.Pair, nodes.Getitem))):
        if isinstance(node, nodes.Compare):
            node.expr = wrapped(node.expr)
            for operand in node.ops:
                operand.expr = wrapped(operand.expr)
        elif isinstance(node, nodes.Pair):
            node.key = wrapped(node.key)
        else:
            node.arg = wrapped(node.arg)


def safe_method(obj: Any, attr: str) -> bool | None:
    """False for a method of a built-in type that could grow its result; None: not a built-in."""
    allowed = SAFE_METHODS.get(type(obj))
    if allowed is None and isinstance(obj, _BUILT_IN):  # a subclass, such as Markup
        allowed = next(SAFE_METHODS[kind] for kind in type(obj).__mro__ if kind in SAFE_METHODS)
    return None if allowed is None else attr in allowed
