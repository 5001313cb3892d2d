"""The Jinja environments the briefing templates render in, and the filters they share.

Both environments escape every value by default: HTML with Jinja's own autoescaping, Markdown
with `markdown_text`, applied to each `{{ ... }}` by `finalize`. A value a filter has already
made safe arrives as `Markup` and passes through untouched; nothing else an analyst typed can
become a tag, a link, a heading or emphasis.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import cache
from typing import Any
from urllib.parse import quote, urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from tracker.interfaces.wording import grading, grading_code, status_words

# Everything that CommonMark (and GitHub's tables, strikethrough and $maths$) gives a meaning to
# inside a line; a backslash makes each one literal.
_MARKDOWN_INLINE = re.compile(r"([\\`*_\[\]<>&|~#!$])")
# What gives a meaning to the start of a line: lists, headings, quotes, rules.
_MARKDOWN_LINE_START = re.compile(r"^([-+=])|^(\d+)([.)])")
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~-._"
# A character `markdown_text` would escape, or one that ends a line (`str.splitlines`): a text
# with none of them, no space to strip at either end and no line-start marker is already literal.
_NOT_LITERAL = re.compile(r"[\\`*_\[\]<>&|~#!$\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")


def markdown_text(value: Any, indent: int = 0) -> Markup:
    """Any value as literal Markdown text. Line breaks are kept as hard breaks, continued at
    `indent` spaces so they stay inside the list item they belong to."""
    if isinstance(value, Markup):
        return value
    literal = _already_literal(value)
    return Markup(literal if literal is not None else _escaped(value, indent))


def _printed_as_markdown(value: Any) -> str:
    """`markdown_text` for what `{{ ... }}` prints (`finalize`): the same text, as a plain str.
    Only a filter's result is printed again, so only a filter's result must be Markup; this
    runs for every value of a year's briefing, and making Markup of each costs."""
    if isinstance(value, Markup):
        return value
    literal = _already_literal(value)
    return literal if literal is not None else _escaped(value, 0)


def _already_literal(value: Any) -> str | None:
    """The value's text when escaping would not change it (most of what analysts type, every
    count and date), else None."""
    if value is None:
        return ""
    kind = type(value)
    if (kind is int and value >= 0) or kind is date:
        return str(value)  # digits (and dashes between): nothing to escape, never a marker
    if (
        kind is str
        and not _NOT_LITERAL.search(value)
        and value == value.strip()
        and not _MARKDOWN_LINE_START.match(value)
    ):
        return value
    return None


def _escaped(value: Any, indent: int) -> str:
    lines = [line.strip() for line in str(value).splitlines()]
    escaped = [
        _MARKDOWN_LINE_START.sub(_escape_line_start, _MARKDOWN_INLINE.sub(r"\\\1", line))
        for line in lines
        if line
    ]
    return ("\\\n" + " " * indent).join(escaped)


def _escape_line_start(match: re.Match[str]) -> str:
    if match.group(1):
        return "\\" + match.group(1)
    return match.group(2) + "\\" + match.group(3)


def markdown_cell(value: Any) -> Markup:
    """Literal text on one line, for a table cell."""
    return markdown_text(" ".join(str(value or "").split()))


def web_address(value: str | None) -> str | None:
    """The URL, made safe to put in a link, when it is an http(s) address a reader can follow;
    else None, and the templates show it as text."""
    if not value:
        return None
    address = value.strip()
    parts = urlsplit(address)
    if parts.scheme.lower() not in {"http", "https"} or not parts.netloc:
        return None
    # Spaces, angle brackets, quotes and other characters that would end a Markdown autolink
    # or an attribute are percent-encoded; what URLs already allow stays as typed.
    return quote(address, safe=_URL_SAFE)


def long_date(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def short_date(value: date) -> str:
    return f"{value.day} {value:%b}"


def period_text(start: date, end: date) -> str:
    """'16–22 December 2025', '28 November – 4 December 2025', or one day."""
    if start == end:
        return long_date(end)
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}–{long_date(end)}"
    if start.year == end.year:
        return f"{start.day} {start:%B} – {long_date(end)}"
    return f"{long_date(start)} – {long_date(end)}"


def moment_text(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC")


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    return f"{count} {singular if count == 1 else (plural_form or singular + 's')}"


def listing(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _environment(**escaping: Any) -> Environment:
    """An environment over the briefing templates, with the filters every format shares;
    `escaping` says how its values are escaped."""
    environment = Environment(
        loader=PackageLoader("tracker.interfaces.briefing", "templates"),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        **escaping,
    )
    environment.filters.update(
        long_date=long_date,
        short_date=short_date,
        moment=moment_text,
        grading=lambda o: grading(o.reliability, o.credibility),
        grading_code=lambda o: grading_code(o.reliability, o.credibility),
        web_address=web_address,
        listing=listing,
    )
    environment.globals.update(status_words=status_words, period_text=period_text, plural=plural)
    return environment


@cache
def markdown_environment() -> Environment:
    environment = _environment(autoescape=False, finalize=_printed_as_markdown)
    # For what the template itself wrote (its macros): already escaped, so kept as it is.
    environment.filters.update(md=markdown_text, cell=markdown_cell, as_written=Markup)
    return environment


def _printed_as_html(value: Any) -> Any:
    """What `{{ ... }}` prints, before Jinja escapes it: counts and dates as their text, which
    escaping leaves as it is. Escaping a str is quick; anything else is first asked whether it
    is markup already, which costs more than the rest, tens of thousands of times a page."""
    kind = type(value)
    return str(value) if kind is int or kind is date else value


@cache
def html_environment() -> Environment:
    return _environment(autoescape=True, finalize=_printed_as_html)
