"""The bundled December 2025 set: complete, faithful to its two articles, and honest about
where they disagree."""

from __future__ import annotations

import pytest

from tests.conftest import BUNDLED_SET, SEEDS
from tracker.definitions.bundled import bundled_definition_files
from tracker.definitions.reader import read_definition_file
from tracker.definitions.schema import IndicatorSetDefinition

FIRST_SIGNALS = {"miami-talks", "european-unity", "kyiv-firmness", "india-statement"}
STRUCTURAL_ISSUES = {
    "territory",
    "nato-alignment",
    "security-guarantees",
    "enforcement",
    "military-caps",
    "european-hedging",
    "florida-meeting",
    "direct-talks",
    "civilian-toll",
    "reconstruction",
    "ceasefire-structure",
}


@pytest.fixture(scope="module")
def definition() -> IndicatorSetDefinition:
    return read_definition_file(BUNDLED_SET).definition


def test_the_bundled_set_is_the_one_in_indicators() -> None:
    assert BUNDLED_SET in bundled_definition_files()


def test_at_least_sixteen_indicators_in_themes(definition: IndicatorSetDefinition) -> None:
    assert len(definition.indicators) >= 16
    used_themes = {indicator.theme for indicator in definition.indicators}
    assert used_themes == {theme.key for theme in definition.themes}
    assert len(used_themes) >= 4


def test_the_desks_first_signals_and_the_structural_issues_are_tracked(
    definition: IndicatorSetDefinition,
) -> None:
    keys = {indicator.key for indicator in definition.indicators}
    assert FIRST_SIGNALS - keys == set()
    assert STRUCTURAL_ISSUES - keys == set()


def test_every_baseline_is_dated_by_the_article_it_rests_on(
    definition: IndicatorSetDefinition,
) -> None:
    source_dates = {source.id: source.date for source in definition.sources}
    for indicator in definition.indicators:
        cited = {source_dates[citation.source] for citation in indicator.sources}
        assert indicator.baseline.date in cited, indicator.key


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the source articles live in ../shared/seeds")
def test_every_quote_is_verbatim_from_its_article(definition: IndicatorSetDefinition) -> None:
    articles = {
        source.id: (SEEDS / str(source.file)).read_text(encoding="utf-8")
        for source in definition.sources
    }
    quotes = [
        (f"indicator {i.key}", c.source, c.quote) for i in definition.indicators for c in i.sources
    ] + [(f"observation {o.ref}", o.source, o.quote) for o in definition.observations if o.quote]
    missing = [(where, quote) for where, source, quote in quotes if quote not in articles[source]]
    assert not missing


def test_dated_facts_are_seeded_as_observations(definition: IndicatorSetDefinition) -> None:
    quotes = " ".join(o.quote or "" for o in definition.observations)
    summaries = " ".join(o.summary for o in definition.observations)
    assert "Either we take back these territories by force" in quotes
    assert any(o.date.isoformat() == "2025-12-15" for o in definition.observations)
    assert "226" in summaries and "952" in summaries  # UN figures, November 2025
    assert "2,311" in summaries and "11,084" in summaries  # UN figures, January to November


def test_contradictory_force_figures_are_seeded_as_reported_with_a_note(
    definition: IndicatorSetDefinition,
) -> None:
    by_quote = {o.quote: o for o in definition.observations if o.quote}
    cap = next(o for q, o in by_quote.items() if "600,000" in q and "209,000" in q)
    statement = next(o for q, o in by_quote.items() if "800,000" in q)
    # Seeded as the articles say it, not corrected, and flagged by the analyst.
    assert cap.note and "800,000" in cap.note
    assert statement.note and "600,000" in statement.note
    assert cap.credibility is not None and cap.credibility >= 4  # doubtful
