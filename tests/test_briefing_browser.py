"""The briefing page in a real browser: Debian's headless Chromium opens the HTML file, prints it
to PDF and takes a screenshot, and nothing the page asks for may leave the machine.

Chromium runs three times, side by side: the page printed to PDF (with its network log and its
console written out), the page as a screenshot, and a canary copy of the page that does try to
load from outside, which shows that the network log and the console would catch it.

`.ci/run` installs `chromium` when it is missing. Without it these tests fail when `CI` is set
and are skipped otherwise.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from tests.conftest import FIXED_NOW
from tracker.interfaces.briefing.charts import AWAY, TOWARD, UNMOVED
from tracker.interfaces.briefing.html import briefing_html
from tracker.services.assessments import AssessmentDraft, assess_indicator
from tracker.services.briefing import Briefing, build_briefing
from tracker.services.briefing_periods import briefing_scope
from tracker.services.clock import FixedClock
from tracker.services.observations import ObservationDraft, record_observation
from tracker.services.seeding import seed_if_empty
from tracker.storage.database import open_database

BROWSER_TIMEOUT = 60
# Words only the charts draw (SVG <text>), never the page around them: finding them in the PDF
# shows the charts were rendered. `test_the_chart_words_are_only_in_the_charts` keeps this true.
CHART_WORDS = [
    "Status at the end of each week (week ending)",  # status grid, axis label
    "– not assessed",  # status grid, legend (the other entries are also the badges' words)
    "Week ending",  # observations chart, axis label
]
# Words the page also uses, but never as a line of their own.
CHART_LINES = [
    "Observations",  # observations chart, axis label
    "Theme",  # observations chart, legend title
]
# An address that must never be fetched: a link in the Sources and markup typed into a note.
OUTSIDE = "https://tracker.invalid"
HOSTILE_NOTE = f'<img src="{OUTSIDE}/pixel.png"><link rel="stylesheet" href="{OUTSIDE}/s.css">'
# Blocks name lookups, so even a request that slipped through could not leave the machine.
NO_DNS = "--host-resolver-rules=MAP * ~NOTFOUND"


def _chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        message = (
            "Debian's `chromium` is not on PATH, so the briefing cannot be checked in a browser. "
            "`.ci/run` installs it (apt-get install --no-install-recommends chromium and fonts)."
        )
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return path


@dataclass(frozen=True)
class Rendered:
    briefing: Briefing
    html: str
    pdf: PdfReader
    pdf_text: str  # NFKC: the ligatures Chromium prints (ﬁ, ﬀ) read as plain letters
    screenshot: Path
    console: list[str]  # what the page wrote to the browser console
    page_requests: list[str]  # URLs the page asked the network for
    canary_console: list[str]
    canary_requests: list[str]


def _browser_args(chromium: str, profile: Path) -> list[str]:
    return [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        # Containers often give /dev/shm only 64 MB, too little for Chromium.
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        "--force-color-profile=srgb",
        f"--user-data-dir={profile}",
        NO_DNS,
    ]


def _printing(chromium: str, html: Path, out: Path) -> list[str]:
    """Print `html` to out/briefing.pdf, logging the network to out/netlog.json and the page's
    console to standard error."""
    return [
        *_browser_args(chromium, out / "profile"),
        "--enable-logging=stderr",
        "--v=0",
        f"--log-net-log={out / 'netlog.json'}",
        "--no-pdf-header-footer",
        "--generate-pdf-document-outline",
        f"--print-to-pdf={out / 'briefing.pdf'}",
        html.as_uri(),
    ]


def _run_all(commands: dict[str, list[str]]) -> dict[str, str]:
    """Run the browsers side by side; each one's standard error, or a failure saying why."""
    started = {
        name: subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="replace",
        )
        for name, command in commands.items()
    }
    errors: dict[str, str] = {}
    try:
        for name, process in started.items():
            try:
                _, errors[name] = process.communicate(timeout=BROWSER_TIMEOUT)
            except subprocess.TimeoutExpired:
                pytest.fail(f"chromium ({name}) took more than {BROWSER_TIMEOUT} s", pytrace=False)
            if process.returncode != 0:
                pytest.fail(
                    f"chromium ({name}) exited with {process.returncode}:\n{errors[name][-3000:]}",
                    pytrace=False,
                )
    finally:
        for process in started.values():
            if process.poll() is None:
                process.kill()
                process.wait()
    return errors


def _console(stderr: str) -> list[str]:
    """The page's console messages (a blocked load is reported there: 'violates the following
    Content Security Policy directive')."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


def _page_requests(netlog: Path) -> list[str]:
    """The URLs a document asked the network for. Chromium's own background requests (update
    checks and the like, made despite the flags) carry no origin and are left out; a request a
    page makes carries the page's origin, 'null' for a file."""
    log = json.loads(netlog.read_text(encoding="utf-8"))
    start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    return [
        event["params"]["url"]
        for event in log["events"]
        if event["type"] == start
        and "url" in event.get("params", {})
        and event["params"].get("initiator") != "not an origin"
    ]


def _canary(html: str) -> str:
    """The page with one load before its Content-Security-Policy (the policy only governs what
    follows it, so this one reaches the network log) and one after it (blocked, and reported on
    the console)."""
    html = html.replace(
        "<head>\n",
        '<head>\n<link rel="stylesheet" href="http://canary.invalid/before-policy.css">\n',
        1,
    )
    return html.replace(
        "<body>\n", '<body>\n<img src="http://canary.invalid/after-policy.png" alt="">\n', 1
    )


def _briefing(folder: Path) -> Briefing:
    """The seeded desk plus one move each way, so the charts show both colours."""
    clock = FixedClock(FIXED_NOW)
    db = open_database(str(folder / "tracker.sqlite3"))
    try:
        seed_if_empty(db, clock)
        away = record_observation(
            db,
            ObservationDraft(
                bearings=[("territory", "away"), ("kyiv-firmness", "away")],
                summary="Moscow restated its territorial demands.",
                event_date="2025-12-19",
                source_title="Wire report",
                source_url=f"{OUTSIDE}/wire",
                reliability="B",
                credibility="2",
                note=HOSTILE_NOTE,
                author="ana",
            ),
            clock,
        )
        toward = record_observation(
            db,
            ObservationDraft(
                bearings=[("miami-talks", "toward")],
                summary="The Miami round was held.",
                event_date="2025-12-20",
                author="ana",
            ),
            clock,
        )
        for key, direction, evidence, day in [
            ("territory", "away", away.id, "2025-12-19"),
            ("miami-talks", "toward", toward.id, "2025-12-20"),
        ]:
            assess_indicator(
                db,
                AssessmentDraft(
                    indicator_key=key,
                    status="moved",
                    direction=direction,
                    rationale="Checked in a browser.",
                    evidence=[evidence],
                    effective_on=day,
                    author="ana",
                ),
                clock,
            )
        return build_briefing(db, clock, briefing_scope(db, clock))
    finally:
        db.close()


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rendered]:
    chromium = _chromium()
    folder = tmp_path_factory.mktemp("browser")
    briefing = _briefing(folder)
    html = briefing_html(briefing)
    page = folder / "briefing.html"
    page.write_text(html, encoding="utf-8")
    canary = folder / "canary.html"
    canary.write_text(_canary(html), encoding="utf-8")
    (folder / "print").mkdir()
    (folder / "canary").mkdir()
    screenshot = folder / "briefing.png"
    errors = _run_all(
        {
            "print": _printing(chromium, page, folder / "print"),
            "screenshot": [
                *_browser_args(chromium, folder / "screenshot-profile"),
                "--window-size=1200,3000",
                f"--screenshot={screenshot}",
                page.as_uri(),
            ],
            "canary": _printing(chromium, canary, folder / "canary"),
        }
    )
    pdf = PdfReader(folder / "print" / "briefing.pdf")
    yield Rendered(
        briefing=briefing,
        html=html,
        pdf=pdf,
        pdf_text=unicodedata.normalize("NFKC", "\n".join(p.extract_text() for p in pdf.pages)),
        screenshot=screenshot,
        console=_console(errors["print"]),
        page_requests=_page_requests(folder / "print" / "netlog.json"),
        canary_console=_console(errors["canary"]),
        canary_requests=_page_requests(folder / "canary" / "netlog.json"),
    )


def _flat(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split())


def test_the_pdf_has_pages_and_the_headings(rendered: Rendered) -> None:
    assert len(rendered.pdf.pages) >= 2
    themes = [theme.title for theme in rendered.briefing.themes]
    assert themes
    sections = ["Summary", "Twelve weeks at a glance", "Where things stand", *themes, "Sources"]
    page_headings = [
        _flat(unescape(re.sub(r"<[^>]+>", "", heading)))
        for heading in re.findall(r"<h2\b[^>]*>(.*?)</h2>", rendered.html, flags=re.DOTALL)
    ]
    assert {_flat(name) for name in sections} <= set(page_headings)
    # Chromium builds the PDF's outline from the headings it printed: the page's h2s, in the
    # page's order, under its h1.
    (title, chapters, *_) = rendered.pdf.outline
    assert _flat(title.title).startswith("Briefing:")
    assert [_flat(item.title) for item in chapters if not isinstance(item, list)] == page_headings
    text = _flat(rendered.pdf_text)
    for name in sections:
        assert _flat(name) in text, name


def test_the_charts_are_drawn(rendered: Rendered) -> None:
    text = _flat(rendered.pdf_text)
    for words in CHART_WORDS:
        assert words in text, words
    lines = [line.strip() for line in rendered.pdf_text.splitlines()]
    for line in CHART_LINES:
        assert line in lines, line


def test_the_chart_words_are_only_in_the_charts(rendered: Rendered) -> None:
    """What makes `test_the_charts_are_drawn` a test of the charts."""
    charts = re.findall(r"<svg\b.*?</svg>", rendered.html, flags=re.DOTALL)
    assert len(charts) == 2
    outside = re.sub(r"<svg\b.*?</svg>", "", rendered.html, flags=re.DOTALL)
    for words in CHART_WORDS:
        assert any(words in chart for chart in charts), words
        assert words not in outside, words
    for line in CHART_LINES:
        assert any(f">{line}</text>" in chart for chart in charts), line
        assert not re.search(rf">\s*{line}\s*<", outside), line


def test_the_screenshot_shows_the_status_colours(rendered: Rendered) -> None:
    """Moved toward, moved away and unmoved, in the charts' own colours. The page's badges use
    other shades, and only the status grid uses the grey, so these pixels are the charts'."""
    with Image.open(rendered.screenshot) as image:
        assert image.size == (1200, 3000)
        colours = dict(
            (rgb, count)
            for count, rgb in image.convert("RGB").getcolors(maxcolors=1200 * 3000) or []
        )
    for name, hex_colour in {"toward": TOWARD, "away": AWAY, "unmoved": UNMOVED}.items():
        rgb = tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
        assert colours.get(rgb, 0) >= 100, f"too few {name} pixels ({hex_colour})"


def test_the_page_makes_no_outside_request(rendered: Rendered) -> None:
    # The page carries an outside link and markup typed into a note: neither is fetched.
    assert f"{OUTSIDE}/wire" in rendered.html
    assert "pixel.png" in rendered.html and HOSTILE_NOTE not in rendered.html
    assert rendered.page_requests == []
    # Nothing was even tried: the Content-Security-Policy had nothing to block.
    assert rendered.console == []


def test_the_canary_shows_both_checks_would_see_a_request(rendered: Rendered) -> None:
    assert set(rendered.canary_requests) == {"http://canary.invalid/before-policy.css"}
    assert len(rendered.canary_console) == 1
    assert "after-policy.png" in rendered.canary_console[0]
    assert "Content Security Policy" in rendered.canary_console[0]
