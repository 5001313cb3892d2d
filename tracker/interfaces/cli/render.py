"""How status boards, indicator histories and seed reports look on a terminal and in JSON."""

from __future__ import annotations

import json
from itertools import groupby
from typing import Any

from rich.console import Group
from rich.padding import Padding
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from tracker.interfaces.cli.output import plain
from tracker.interfaces.wording import grading, iso, moment, source_line, status_label
from tracker.services.history import IndicatorHistory, ObservationEntry
from tracker.services.seeding import SeedReport
from tracker.services.status import IndicatorStatus, StatusBoard


def status_json(board: StatusBoard) -> str:
    rows = [
        {
            "set": item.set_slug,
            "key": item.key,
            "title": item.title,
            "theme": item.theme_key,
            "theme_title": item.theme_title,
            "status": item.status,
            "direction": item.direction,
            "confidence": item.confidence,
            "assessed_on": iso(item.assessed_on),
            "assessed_by": item.assessed_by,
            # For `tracker mark --supersedes`.
            "assessment_id": item.assessment_id,
            "observation_count": item.observation_count,
            "last_observation_on": iso(item.last_observation_on),
            "as_of": board.as_of.isoformat(),
        }
        for item in board.indicators
    ]
    return json.dumps(rows, ensure_ascii=False, indent=2)


def status_tables(board: StatusBoard) -> list[Any]:
    if not board.indicators:
        return [Text("No indicators. Load a set with: tracker seed")]
    parts: list[Any] = []
    for (_, set_title), in_set in groupby(
        board.indicators, key=lambda i: (i.set_slug, i.set_title)
    ):
        items = list(in_set)
        moved = sum(1 for i in items if i.status == "moved")
        parts.append(Rule(Text(f"{set_title} — as of {board.as_of.isoformat()}", style="bold")))
        parts.append(Text(f"{len(items)} indicators, {moved} moved", style="dim"))
        for theme_title, in_theme in groupby(items, key=lambda i: i.theme_title):
            parts.append(_theme_table(theme_title, list(in_theme)))
    return parts


def _theme_table(theme_title: str, items: list[IndicatorStatus]) -> Table:
    table = Table(title=Text(theme_title, style="bold"), title_justify="left", expand=False)
    table.add_column("Key", no_wrap=True)
    table.add_column("Indicator", ratio=1)
    table.add_column("Status", no_wrap=True)
    table.add_column("Conf.", no_wrap=True)
    table.add_column("Assessed", no_wrap=True)
    table.add_column("Obs.", justify="right")
    table.add_column("Last obs.", no_wrap=True)
    for item in items:
        table.add_row(
            item.key,
            item.title,
            status_label(item.status, item.direction),
            plain(item.confidence),
            plain(iso(item.assessed_on)),
            str(item.observation_count),
            plain(iso(item.last_observation_on)),
        )
    return table


def history_view(history: IndicatorHistory) -> Group:
    parts: list[Any] = [
        Rule(Text(f"{history.title} ({history.key})", style="bold")),
        _field("Set", f"{history.set_title} ({history.set_slug})"),
        _field("Theme", history.theme_title),
    ]
    if history.retired_at is not None:
        parts.append(_field("Retired", history.retired_at.date().isoformat()))
    parts += [
        _field("Question", history.question),
        _field("Moved when", history.moved_when),
        _field("Toward", history.toward_means),
        _field("Away", history.away_means),
        _field("Actors", ", ".join(history.actors)),
    ]
    for citation in history.citations:
        origin = ", ".join(part for part in (citation.source_date, citation.source_file) if part)
        parts.append(_field("Source", f"{citation.source_title} ({origin})"))
        parts.append(_indented(f"“{citation.quote}”", "italic", by=14))

    parts.append(Rule(Text(f"Assessments ({len(history.assessments)}), newest first")))
    for assessment in history.assessments:
        headline = Text(f"{assessment.effective_on.isoformat()}  ")
        headline.append_text(status_label(assessment.status, assessment.direction))
        headline.append(f"  confidence {assessment.confidence}  by {assessment.author}")
        parts += [headline, _indented(assessment.rationale)]
        if assessment.evidence:
            parts.append(_indented("evidence: " + ", ".join(assessment.evidence), "dim"))
        parts.append(
            _indented(
                f"id {assessment.id}, recorded {moment(assessment.recorded_at)}"
                + (f", supersedes {assessment.supersedes[:8]}" if assessment.supersedes else ""),
                "dim",
            )
        )

    parts.append(Rule(Text(f"Observations ({len(history.observations)}), newest first")))
    for observation in history.observations:
        parts.extend(_observation(observation))
    return Group(*parts)


def _observation(observation: ObservationEntry) -> list[Any]:
    headline = Text(f"{observation.event_date.isoformat()}  bearing {observation.bearing}")
    headline.append(f"  {grading(observation.reliability, observation.credibility)}")
    headline.append(f"  by {observation.author}")
    if observation.retraction is not None:
        headline.append("  RETRACTED", style="bold red")
    lines: list[Any] = [headline, _indented(observation.summary)]
    if observation.quote:
        lines.append(_indented(f"“{observation.quote}”", "italic"))
    if observation.note:
        lines.append(_indented(f"Analyst's note: {observation.note}"))
    lines.append(_indented(f"Source: {source_line(observation)}", "dim"))
    if observation.retraction is not None:
        retraction = observation.retraction
        lines.append(
            _indented(
                f"Retracted {moment(retraction.recorded_at)} by {retraction.author}: "
                f"{retraction.reason}",
                "red",
            )
        )
    lines.append(
        _indented(f"id {observation.id}, recorded {moment(observation.recorded_at)}", "dim")
    )
    return lines


def _indented(text: str, style: str = "", *, by: int = 4) -> Padding:
    return Padding(Text(text, style=style), (0, 0, 0, by), expand=False)


def seed_summary(report: SeedReport, where: str) -> str:
    files = ", ".join(report.files)
    changed = [_count(name, count) for name, count in report.counts().items() if count]
    summary = f"Loaded {files} into {where}: " + (", ".join(changed) or "no changes") + "."
    if report.edits_kept_out:
        summary += (
            f" {report.edits_kept_out} baseline or seeded observation(s) differ from the file"
            " and were kept as first recorded: they are history. Record a new assessment or"
            " observation instead."
        )
    return summary


def _count(field_name: str, count: int) -> str:
    """'indicators_added', 2 -> '2 indicators added'; 1 -> '1 indicator added'."""
    noun, _, verb = field_name.rpartition("_")
    if count == 1:
        noun = noun.removesuffix("s")
    return f"{count} {noun} {verb}"


def _field(label: str, value: str) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(width=12, no_wrap=True, style="bold")
    grid.add_column(ratio=1)
    grid.add_row(label, Text(value))
    return grid
