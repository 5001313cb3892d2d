"""The briefing as documents: golden files for Markdown and JSON, the HTML page checked by its
structure, and analyst text that tries to be markup shown as the text it is.

The golden files are `tests/golden/briefing-week.md` and `tests/golden/briefing-week.json`, the
briefing of a fixed week (23–29 December 2025) on a database built here: the seeded set, an
issued briefing of the week before, and a handful of observations, assessments and a retraction,
each made through the services with its own fixed clock. Ids are made deterministic by seeding
the UUID generator. After a deliberate change to the documents, regenerate the files with

    UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_briefing_documents.py

then read the diff before committing it: the golden files are what the desk would be handed.
"""

from __future__ import annotations

import json
import os
import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from tests.conftest import FIXED_NOW
from tracker.interfaces.briefing.html import briefing_html
from tracker.interfaces.briefing.json_document import briefing_json
from tracker.interfaces.briefing.markdown import briefing_markdown
from tracker.services.assessments import AssessmentDraft, assess_indicator
from tracker.services.briefing import Briefing, build_briefing
from tracker.services.briefing_periods import briefing_scope, issue_briefing
from tracker.services.clock import FixedClock
from tracker.services.observations import ObservationDraft, record_observation
from tracker.services.retractions import retract_observation
from tracker.services.seeding import seed_if_empty
from tracker.storage.database import Database, open_database

GOLDEN = Path(__file__).parent / "golden"
UPDATE_GOLDEN = os.environ.get("UPDATE_GOLDEN") == "1"
GENERATED = datetime(2025, 12, 29, 17, 0, tzinfo=UTC)
VOID_ELEMENTS = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
    "track", "wbr",
}  # fmt: skip


def at(day: int, hour: int = 12) -> FixedClock:
    """A clock stopped on that day of December 2025, UTC."""
    return FixedClock(datetime(2025, 12, day, hour, 0, tzinfo=UTC))


def build_on_a_fresh_database(
    path: Path, record: Callable[[Database], None], seed: int
) -> Briefing:
    """Seed a new database, let `record` add to it, and brief the week since the last issue
    (23–29 December). New records get ids from a seeded generator, so every run is the same."""
    generator = random.Random(seed)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            "tracker.storage.models.uuid_module.uuid4",
            lambda: uuid.UUID(int=generator.getrandbits(128), version=4),
        )
        db = open_database(str(path))
        try:
            seed_if_empty(db, FixedClock(FIXED_NOW))
            record(db)
            clock = at(29, 17)
            return build_briefing(db, clock, briefing_scope(db, clock, since_last=True), GENERATED)
        finally:
            db.close()


def record_the_week(db: Database) -> None:
    last_week = at(22, 18)
    issue_briefing(db, briefing_scope(db, last_week), last_week.now(), "Desk lead")
    florida = record_observation(
        db,
        ObservationDraft(
            bearings=[("florida-meeting", "toward"), ("direct-talks", "none")],
            summary="US and Russian delegations met in Florida; both sides called the talks "
            "constructive but reported no agreement on territory.",
            quote="Both delegations described the talks as constructive.",
            source_title="Florida talks end without a deal",
            source_publisher="Example Wire",
            source_url="https://example.org/news/florida-talks?day=2025-12-23&lang=en",
            source_date="2025-12-23",
            reliability="B",
            credibility="2",
            author="ana",
        ),
        at(23, 10),
    ).id
    kremlin = record_observation(
        db,
        ObservationDraft(
            bearings=[("territory", "away")],
            summary="Kremlin spokesman: the territorial question is not open to negotiation.",
            event_date="2025-12-20",
            reliability="C",
            credibility="3",
            author="ben",
        ),
        at(24, 11),
    ).id
    assess_indicator(
        db,
        AssessmentDraft(
            indicator_key="florida-meeting",
            status="moved",
            direction="toward",
            confidence="medium",
            rationale="The meeting took place and both sides engaged on the US draft: the "
            "channel works, though nothing was conceded.\nWatch for a second round.",
            evidence=[florida],
            effective_on="2025-12-23",
            author="ana",
        ),
        at(24, 15),
    )
    record_observation(
        db,
        ObservationDraft(
            bearings=[("civilian-toll", "away")],
            summary="UN monitors report civilian casualties in December running above November's.",
            note="Preliminary figures; the final count comes in January.",
            source_title="Monthly civilian casualty update",
            source_publisher="UN human rights monitors",
            source_url="https://example.org/un/update",
            source_date="2025-12-26",
            reliability="A",
            credibility="1",
            author="ben",
        ),
        at(26, 9),
    )
    leaders = record_observation(
        db,
        ObservationDraft(
            bearings=[("european-unity", "away")],
            summary="Two EU leaders publicly question the US-led format of the talks.",
            source_publisher="Example Daily",
            source_url="https://example.org/eu",
            reliability="C",
            credibility="3",
            author="ben",
        ),
        at(27, 10),
    ).id
    assess_indicator(
        db,
        AssessmentDraft(
            indicator_key="european-unity",
            status="moved",
            direction="away",
            confidence="low",
            rationale="Public criticism by sitting leaders is what the indicator watches for.",
            evidence=[leaders],
            author="ben",
        ),
        at(27, 16),
    )
    retract_observation(
        db, leaders, "The outlet corrected the story: one leader, off the record.", at(28, 9), "ana"
    )
    assess_indicator(
        db,
        AssessmentDraft(
            indicator_key="security-guarantees",
            status="unmoved",
            confidence="medium",
            rationale="No text on guarantees has appeared since the 15 December statement; a "
            "commitment to work on them is not yet movement.",
            author="ana",
        ),
        at(28, 12),
    )
    assess_indicator(
        db,
        AssessmentDraft(
            indicator_key="territory",
            status="unmoved",
            confidence="high",
            rationale="Back-filled: the Kremlin line held through the Florida meeting.",
            evidence=[kremlin],
            effective_on="2025-12-21",
            author="ben",
        ),
        at(29, 9),
    )


@pytest.fixture(scope="module")
def week(tmp_path_factory: pytest.TempPathFactory) -> Briefing:
    path = tmp_path_factory.mktemp("week") / "week.sqlite3"
    return build_on_a_fresh_database(path, record_the_week, seed=20251229)


@pytest.fixture(scope="module")
def week_html(week: Briefing) -> str:
    return briefing_html(week)


def check_golden(name: str, text: str) -> None:
    golden = GOLDEN / name
    if UPDATE_GOLDEN:
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text, encoding="utf-8", newline="\n")
    assert golden.exists(), f"{golden} is missing; run with UPDATE_GOLDEN=1 to create it"
    expected = golden.read_text(encoding="utf-8")
    assert text == expected, f"{name} differs from its golden file (UPDATE_GOLDEN=1 regenerates)"


# --- Reading HTML back -----------------------------------------------------------------------


@dataclass
class Element:
    tag: str
    attrs: dict[str, str | None]
    parents: tuple[str, ...]  # tag#id of each open ancestor, outermost first
    parent: int | None  # index of the innermost open ancestor in `elements`
    text: str = ""


@dataclass
class ParsedHtml:
    elements: list[Element] = field(default_factory=list)
    text: str = ""  # every text node outside <style>, in order
    style_text: str = ""
    doctype: str | None = None
    unclosed: list[str] = field(default_factory=list)
    mismatched: list[str] = field(default_factory=list)

    def find(self, tag: str) -> list[Element]:
        return [e for e in self.elements if e.tag == tag]

    def children(self, element: Element, tag: str) -> list[Element]:
        index = self.elements.index(element)
        return [e for e in self.elements if e.parent == index and e.tag == tag]


class _Reader(HTMLParser):
    """Every element with its attributes and ancestors, the text of each, and any tag left
    open or closed out of order (the page is written to be balanced)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parsed = ParsedHtml()
        self._open: list[tuple[int, Element]] = []

    def handle_decl(self, decl: str) -> None:
        self.parsed.doctype = decl

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = self._add(tag, attrs)
        if tag not in VOID_ELEMENTS:
            self._open.append((len(self.parsed.elements) - 1, element))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._add(tag, attrs)

    def _add(self, tag: str, attrs: list[tuple[str, str | None]]) -> Element:
        element = Element(
            tag,
            dict(attrs),
            parents=tuple(_label(e) for _, e in self._open),
            parent=self._open[-1][0] if self._open else None,
        )
        self.parsed.elements.append(element)
        return element

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID_ELEMENTS:
            return
        if not self._open or self._open[-1][1].tag != tag:
            self.parsed.mismatched.append(tag)
            return
        self._open.pop()

    def handle_data(self, data: str) -> None:
        if any(e.tag == "style" for _, e in self._open):
            self.parsed.style_text += data
            return
        self.parsed.text += data
        for _, element in self._open:
            element.text += data

    def close(self) -> None:
        super().close()
        self.parsed.unclosed = [e.tag for _, e in self._open]


def _label(element: Element) -> str:
    return f"{element.tag}#{element.attrs['id']}" if element.attrs.get("id") else element.tag


def parse_html(text: str) -> ParsedHtml:
    reader = _Reader()
    reader.feed(text)
    reader.close()
    return reader.parsed


def markdown_as_html(markdown: str) -> ParsedHtml:
    """What a CommonMark viewer with GitHub's tables makes of the Markdown."""
    return parse_html(MarkdownIt("commonmark").enable("table").render(markdown))


def web_sources(briefing: Briefing) -> set[str]:
    return {
        r.observation.source_url
        for r in briefing.references
        if r.observation.source_url and r.observation.source_url.startswith("https://")
    }


def as_markdown_shows_it(value: str) -> str:
    """A multi-line value as a Markdown viewer shows it: its lines, trimmed, one per line (each
    a hard break), blank lines dropped."""
    return "\n".join(line.strip() for line in value.splitlines() if line.strip())


# --- Golden files ----------------------------------------------------------------------------


def test_the_markdown_briefing_matches_its_golden_file(week: Briefing) -> None:
    check_golden("briefing-week.md", briefing_markdown(week))


def test_the_json_briefing_matches_its_golden_file(week: Briefing) -> None:
    check_golden("briefing-week.json", briefing_json(week) + "\n")


def test_the_golden_week_is_the_week_recorded(week: Briefing) -> None:
    """What the golden files are about, said plainly, so a wrong regeneration stands out."""
    assert (week.period.start.isoformat(), week.period.end.isoformat()) == (
        "2025-12-23",
        "2025-12-29",
    )
    assert week.follows is not None and week.follows.author == "Desk lead"
    counts = week.counts
    assert (counts.moved, counts.moved_toward, counts.moved_away, counts.changed) == (2, 1, 1, 3)
    assert (counts.new_observations, counts.late_observations, counts.retractions) == (2, 1, 1)
    assert (counts.assessments, counts.late_assessments) == (3, 1)
    moved = {i.key: i.moved for i in week.indicators if i.moved}
    assert moved == {"florida-meeting": "toward", "european-unity": "away"}
    document = json.loads(briefing_json(week))
    assert document["period"] == {"start": "2025-12-23", "end": "2025-12-29", "days": 7}
    assert document["follows"]["period"] == {"start": "2025-12-16", "end": "2025-12-22", "days": 7}
    assert [r["number"] for r in document["references"]] == [1, 2, 3, 4]


def test_markdown_renders_to_the_expected_outline(week: Briefing) -> None:
    parsed = markdown_as_html(briefing_markdown(week))
    assert not parsed.mismatched and not parsed.unclosed
    headings = [(e.tag, e.text) for e in parsed.elements if e.tag in {"h1", "h2", "h3", "h4"}]
    assert headings == expected_headings(week)
    (table,) = parsed.find("table")
    assert table.parents == ()
    rows = parsed.find("tr")
    assert len(rows) == 1 + len(week.themes) + len(week.indicators)
    assert all(len(parsed.children(row, "td") + parsed.children(row, "th")) == 4 for row in rows)
    assert document_lists(parsed) == expected_lists(week)
    assert {e.attrs["href"] for e in parsed.find("a")} == web_sources(week)


def document_lists(parsed: ParsedHtml) -> list[tuple[str, int]]:
    """Each top-level list, with how many items it has."""
    return [
        (e.tag, len(parsed.children(e, "li")))
        for e in parsed.elements
        if e.tag in {"ul", "ol"} and e.parents == ()
    ] + [("nested", 1) for e in parsed.elements if e.tag in {"ul", "ol"} and e.parents != ()]


def expected_lists(briefing: Briefing) -> list[tuple[str, int]]:
    """Assessed, observed and retracted, for each indicator with news; then the sources."""
    lists = []
    for i in briefing.indicators:
        seen = [o for o in i.observations if not o.retracted]
        lists.extend(("ul", len(part)) for part in (i.assessments, seen, i.retractions) if part)
    return [*lists, ("ol", len(briefing.references))]


def expected_headings(briefing: Briefing) -> list[tuple[str, str]]:
    headings = [
        ("h1", f"Briefing: {briefing.set_title}"),
        ("h2", "Summary"),
        ("h2", "Where things stand"),
    ]
    for theme in briefing.themes:
        headings.append(("h2", theme.title))
        headings.extend(("h3", i.title) for i in theme.indicators if i.has_news)
    headings.append(("h2", "Sources"))
    return headings


# --- The HTML page ---------------------------------------------------------------------------


def test_the_html_page_parses_into_a_balanced_document(week_html: str) -> None:
    parsed = parse_html(week_html)
    assert parsed.doctype is not None and parsed.doctype.lower() == "doctype html"
    assert parsed.mismatched == [] and parsed.unclosed == []
    (html,) = parsed.find("html")
    assert html.attrs.get("lang") == "en"
    (title,) = parsed.find("title")
    assert title.text.startswith("Briefing: Russia–Ukraine peace talks")


def test_the_html_page_has_both_charts_inline(week_html: str, week: Briefing) -> None:
    parsed = parse_html(week_html)
    charts = parsed.find("svg")
    assert [chart.parents[-1] for chart in charts] == [
        "figure#status-grid",
        "figure#observations-chart",
    ]
    grid = next(
        e for e in parsed.elements if e.tag == "figure" and e.attrs.get("id") == "status-grid"
    )
    # Text stays text: the indicators and the status arrows are readable in the chart.
    assert "US–Russia meeting in Florida" in grid.text
    assert "▲" in grid.text and "▼" in grid.text
    words = " ".join(grid.text.split())
    assert all(f"{day.day} {day:%b}" in words for day in week.weeks)
    bars = next(
        e
        for e in parsed.elements
        if e.tag == "figure" and e.attrs.get("id") == "observations-chart"
    )
    assert "Observations" in bars.text
    assert all(theme.title[:20] in bars.text for theme in week.themes)


def test_the_html_page_requests_nothing_from_anywhere(week_html: str, week: Briefing) -> None:
    parsed = parse_html(week_html)
    for tag in (
        "script",
        "link",
        "img",
        "iframe",
        "object",
        "embed",
        "image",
        "base",
        "foreignobject",
    ):
        assert parsed.find(tag) == [], tag
    links_out = []
    for element in parsed.elements:
        for name, value in element.attrs.items():
            assert not name.startswith("on"), (element.tag, name)
            assert name not in {"src", "srcset", "action", "formaction", "poster", "data"}
            if name in {"href", "xlink:href"}:
                assert value is not None
                if not value.startswith("#"):
                    links_out.append((element.tag, value))
            if name == "style":
                assert (value or "").count("url(") == (value or "").count("url(#")
    # The only addresses are the sources' own, as links a reader may follow.
    assert {tag for tag, _ in links_out} <= {"a"}
    assert {address for _, address in links_out} == web_sources(week)
    assert "url(" not in parsed.style_text.replace("url(#", "")
    assert "@import" not in parsed.style_text
    # Inside the charts, url() only points at the chart's own clip paths.
    assert week_html.count("url(") == week_html.count("url(#")


def test_the_html_page_forbids_outside_requests_and_scripts(week_html: str) -> None:
    parsed = parse_html(week_html)
    (policy,) = [
        e
        for e in parsed.find("meta")
        if (e.attrs.get("http-equiv") or "").lower() == "content-security-policy"
    ]
    content = policy.attrs["content"] or ""
    assert "default-src 'none'" in content
    assert "script-src" not in content
    assert parsed.elements.index(policy) < parsed.elements.index(parsed.find("style")[0])


def test_the_html_page_has_the_headings_a_reader_expects(week_html: str, week: Briefing) -> None:
    parsed = parse_html(week_html)
    headings = [(e.tag, e.text) for e in parsed.elements if e.tag in {"h1", "h2", "h3"}]
    expected = expected_headings(week)
    # The HTML adds one heading of its own: the charts' section.
    extra = [h for h in headings if h not in expected]
    assert [h for h in headings if h in expected] == expected
    assert [tag for tag, _ in extra] == ["h2"]
    (chart_heading,) = [e for e in parsed.find("h2") if (e.tag, e.text) == extra[0]]
    charts_section = parsed.elements[chart_heading.parent or 0]
    assert {e.attrs.get("id") for e in parsed.children(charts_section, "figure")} == {
        "status-grid",
        "observations-chart",
    }
    reference_ids = [e.attrs.get("id") for e in parsed.find("li") if "ol" in e.parents]
    assert reference_ids == [f"ref-{r.number}" for r in week.references]
    internal = {
        e.attrs["href"] for e in parsed.find("a") if (e.attrs["href"] or "").startswith("#")
    }
    assert internal <= {f"#ref-{r.number}" for r in week.references}


# --- Hostile text ----------------------------------------------------------------------------

HOSTILE_LINES = (
    "# not a heading",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "*bold* _it_ [link](http://x) # heading",
    "- not a list item",
    "+ nor this",
    "1. not a numbered item",
    "2) nor this",
    "> not a quote",
    "| not | a | table |",
    "---",
    "===",
    "***",
    "```not a fence",
    "`not code`, ~~not struck~~, <!-- not a comment --> and <b>not bold</b>",
    "&amp; stays &lt;literal&gt; and \\*stays escaped\\*",
    "ends with a backslash \\",
    "🕊️ peace 👍🏽 مفاوضات السلام שיחות שלום",
)
LONG_PARAGRAPH = ("A paragraph that goes on and on, " * 320).strip()
HOSTILE_URL = "javascript:alert(1)"
ODD_BUT_WEB_URL = 'https://example.org/a b?q=1&r=<2>"x"'


def hostile(what: str, long: bool = False) -> str:
    return "\n".join([*HOSTILE_LINES, f"({what})", *([LONG_PARAGRAPH] if long else [])])


HOSTILE = {
    name: hostile(name, long=name in {"summary", "note", "rationale", "reason", "second summary"})
    for name in (
        "summary",
        "quote",
        "note",
        "source title",
        "publisher",
        "observer",
        "rationale",
        "assessor",
        "reason",
        "retractor",
        "issuer",
        "second summary",
    )
}


def record_hostile_text(db: Database) -> None:
    issue_briefing(db, briefing_scope(db, at(22, 18)), at(22, 18).now(), HOSTILE["issuer"])
    first = record_observation(
        db,
        ObservationDraft(
            bearings=[("territory", "away"), ("miami-talks", "toward")],
            summary=HOSTILE["summary"],
            quote=HOSTILE["quote"],
            note=HOSTILE["note"],
            source_title=HOSTILE["source title"],
            source_publisher=HOSTILE["publisher"],
            source_url=HOSTILE_URL,
            reliability="B",
            credibility="2",
            author=HOSTILE["observer"],
        ),
        at(23, 10),
    ).id
    second = record_observation(
        db,
        ObservationDraft(
            bearings=[("territory", "toward")],
            summary=HOSTILE["second summary"],
            source_url=ODD_BUT_WEB_URL,
            author="ana",
        ),
        at(24, 10),
    ).id
    assess_indicator(
        db,
        AssessmentDraft(
            indicator_key="territory",
            status="moved",
            direction="away",
            rationale=HOSTILE["rationale"],
            evidence=[first, second],
            author=HOSTILE["assessor"],
        ),
        at(25, 10),
    )
    retract_observation(db, first, HOSTILE["reason"], at(26, 10), HOSTILE["retractor"])


@pytest.fixture(scope="module")
def hostile_week(tmp_path_factory: pytest.TempPathFactory) -> Briefing:
    path = tmp_path_factory.mktemp("hostile") / "hostile.sqlite3"
    return build_on_a_fresh_database(path, record_hostile_text, seed=666)


@pytest.fixture(scope="module")
def hostile_html(hostile_week: Briefing) -> Iterator[ParsedHtml]:
    yield parse_html(briefing_html(hostile_week))


@pytest.fixture(scope="module")
def hostile_markdown(hostile_week: Briefing) -> Iterator[ParsedHtml]:
    yield markdown_as_html(briefing_markdown(hostile_week))


def test_the_hostile_week_holds_every_hostile_field(hostile_week: Briefing) -> None:
    """The fixture itself: every hostile value reached the briefing, so the checks below test
    something."""
    first, second = (r.observation for r in hostile_week.references)
    assert first.summary == HOSTILE["summary"] and first.quote == HOSTILE["quote"]
    assert first.retraction is not None and first.retraction.reason == HOSTILE["reason"]
    assert second.summary == HOSTILE["second summary"]
    assert hostile_week.follows is not None and hostile_week.follows.author == HOSTILE["issuer"]
    territory = next(i for i in hostile_week.indicators if i.key == "territory")
    assert territory.assessments[0].rationale == HOSTILE["rationale"]
    assert len(HOSTILE["summary"]) > 10_000


def test_hostile_text_makes_no_element_in_html(hostile_html: ParsedHtml) -> None:
    assert hostile_html.find("script") == []
    assert hostile_html.find("img") == []
    # The summary's tiles are the only bold text: numbers.
    assert all(e.text.isdigit() for e in hostile_html.find("b"))
    assert not hostile_html.mismatched and not hostile_html.unclosed
    for element in hostile_html.elements:
        assert not any(name.startswith("on") for name in element.attrs), element


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_text_reads_exactly_as_typed_in_html(hostile_html: ParsedHtml, name: str) -> None:
    assert HOSTILE[name] in hostile_html.text


def test_hostile_text_makes_no_element_in_markdown(
    hostile_markdown: ParsedHtml, hostile_week: Briefing
) -> None:
    parsed = hostile_markdown
    for tag in ("script", "img", "b", "del", "s", "pre", "hr"):
        assert parsed.find(tag) == [], tag
    assert not parsed.mismatched and not parsed.unclosed
    # No heading, list, quote, emphasis or code but the document's own.
    headings = [
        (e.tag, e.text) for e in parsed.elements if e.tag.startswith("h") and e.tag[1:].isdigit()
    ]
    assert headings == expected_headings(hostile_week)
    assert document_lists(parsed) == expected_lists(hostile_week)
    (quote,) = parsed.find("blockquote")
    assert as_markdown_shows_it(HOSTILE["quote"]) in quote.text
    assert [e.text for e in parsed.find("em")] == [as_markdown_shows_it(HOSTILE["source title"])]
    assert [e.text for e in parsed.find("code")] == [
        r.observation.id[:8] for r in hostile_week.references
    ]
    assert len(parsed.find("table")) == 1
    assert all(
        len(parsed.children(row, "td") + parsed.children(row, "th")) == 4
        for row in parsed.find("tr")
    )


def test_hostile_text_makes_no_link_in_markdown(hostile_markdown: ParsedHtml) -> None:
    hrefs = [e.attrs.get("href") for e in hostile_markdown.find("a")]
    assert "http://x" not in hrefs
    assert not any((href or "").lower().startswith("javascript") for href in hrefs)
    assert hrefs == ["https://example.org/a%20b?q=1&r=%3C2%3E%22x%22"]


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_text_reads_as_typed_in_markdown(hostile_markdown: ParsedHtml, name: str) -> None:
    assert as_markdown_shows_it(HOSTILE[name]) in hostile_markdown.text


def test_a_javascript_address_is_shown_never_linked(
    hostile_html: ParsedHtml, hostile_markdown: ParsedHtml
) -> None:
    for parsed in (hostile_html, hostile_markdown):
        assert HOSTILE_URL in parsed.text
        for element in parsed.elements:
            for value in element.attrs.values():
                assert "javascript" not in (value or "").lower(), element
    html_links = [e.attrs.get("href") for e in hostile_html.find("a")]
    assert [h for h in html_links if not (h or "").startswith("#")] == [
        "https://example.org/a%20b?q=1&r=%3C2%3E%22x%22"
    ]


# --- Markdown layout -------------------------------------------------------------------------


def test_markdown_keeps_the_spaces_after_its_own_separators(week: Briefing) -> None:
    # The template's own ", " and "; " between a source's title and publisher, and between the
    # indicators with nothing new, must read as in the HTML: with their spaces.
    markdown = briefing_markdown(week)
    assert "*Florida talks end without a deal*, Example Wire, 2025-12-23." in markdown
    assert (
        "Nothing new on Phased arrangements on contested issues (· unmoved; last observed "
        "2025-12-19)." in markdown
    )
    assert (
        "Nothing new on NATO membership and Ukraine’s alignment (· unmoved; last observed "
        "2025-12-19); Enforcement and monitoring (· unmoved; last observed 2025-12-15); "
        in markdown
    )


def test_a_long_list_of_sources_keeps_every_quote_inside_its_source(
    seeded_db: Database,
) -> None:
    # From reference 100 on, a list item's text starts five columns in: the quote, the note and
    # the retraction must still belong to it, not become a code block after the list.
    for n in range(1, 101):
        record_observation(
            seeded_db,
            ObservationDraft(
                bearings=[("territory", "away")],
                summary=f"Observation {n}.",
                quote=f"Quoted {n}.",
                note=f"Noted {n}.",
                source_publisher="Wire",
                event_date="2025-12-24",
                author="ana",
            ),
            at(24, 10),
        )
    clock = at(29, 17)
    briefing = build_briefing(seeded_db, clock, briefing_scope(seeded_db, clock), GENERATED)
    assert len(briefing.references) == 100
    parsed = markdown_as_html(briefing_markdown(briefing))
    assert parsed.find("pre") == []
    quotes = parsed.find("blockquote")
    assert [q.text.strip() for q in quotes] == [f"Quoted {n}." for n in range(1, 101)]
    assert all(q.parents[-2:] == ("ol", "li") for q in quotes)


# Texts `markdown_text` takes its quick way with (nothing to escape) and texts that are one
# character away from needing escaping: both ways must give the same.
LITERAL_OR_NEARLY = [
    "",
    "Plain words, with commas; and (brackets) — and “quotes” ‘too’.",
    "2025-12-22",
    "12 points",
    "12. points",
    "12) points",
    "-1",
    "+ more",
    "= heading",
    " leading space",
    "trailing space ",
    "tab\tinside",
    "line\nbreak",
    "line\rbreak",
    "vertical\vtab",
    "form\ffeed",
    "sep\x1cchar",
    "next\x85line",
    "para\u2029graph",
    "line\u2028sep",
    "non\u00a0breaking",
    "\u00a0edge",
    *[f"a{c}b" for c in "\\`*_[]<>&|~#!$"],
]


@pytest.mark.parametrize("text", LITERAL_OR_NEARLY)
def test_markdown_escaping_is_the_same_whichever_way_it_takes(text: str) -> None:
    from tracker.interfaces.briefing import templating

    escaped = templating._escaped(text, 3)
    assert templating.markdown_text(text, 3) == escaped
    assert templating._printed_as_markdown(text) == templating._escaped(text, 0)
    environment = templating.markdown_environment()
    assert environment.from_string("{{ t }}").render(t=text) == templating._escaped(text, 0)


def test_counts_dates_and_nothing_print_as_before_in_both_formats() -> None:
    from datetime import date

    from markupsafe import escape

    from tracker.interfaces.briefing import templating

    values = {"n": 12, "d": date(2025, 12, 22), "none": None, "flag": True, "neg": -3}
    template = "{{ n }}|{{ d }}|{{ none }}|{{ flag }}|{{ neg }}"
    html = templating.html_environment().from_string(template).render(**values)
    assert html == "|".join(str(escape(v)) for v in values.values())
    markdown = templating.markdown_environment().from_string(template).render(**values)
    assert markdown == "12|2025-12-22||True|\\-3"
