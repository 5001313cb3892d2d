"""Rich `Text` for the record's parts, built from the analyst's words taken literally.

Never pass an analyst's string to a widget as a plain `str`: Textual would read `[bold]` in it as
markup. Everything shown goes through `Text` (or `Content`) made here.
"""

from __future__ import annotations

from rich.text import Text

from tracker.interfaces.wording import grading, moment, one_line, source_line, status_label
from tracker.services.changes import NewRecord
from tracker.services.history import AssessmentEntry, IndicatorHistory, ObservationEntry

BEARING_MARK = {"toward": "▲ toward", "away": "▼ away", "none": "· none"}
BEARING_STYLE = {"toward": "green", "away": "red"}


def heading(words: str) -> Text:
    return Text(words, style="bold underline")


def labelled(label: str, value: str, style: str = "") -> Text:
    text = Text().append(f"{label}: ", style="bold")
    text.append(value, style=style)
    return text


def bearing(value: str | None) -> Text:
    return Text(
        BEARING_MARK.get(value or "", value or ""), style=BEARING_STYLE.get(value or "", "")
    )


def definition(history: IndicatorHistory) -> Text:
    text = Text().append(history.title, style="bold")
    text.append(f"\n{history.key} · {history.theme_title} · {history.set_title}", style="dim")
    if history.retired_at is not None:
        text.append(f"\nRetired {moment(history.retired_at)}: no longer in its definition file.")
    for label, value in (
        ("Question", history.question),
        ("Moved when", history.moved_when),
        ("Toward a settlement", history.toward_means),
        ("Away from one", history.away_means),
        ("Actors", ", ".join(history.actors) or "—"),
    ):
        text.append("\n\n")
        text.append_text(labelled(label, value))
    if history.citations:
        text.append("\n\n")
        text.append_text(heading("Sources"))
        for citation in history.citations:
            text.append(f"\n{citation.source_title}", style="bold")
            if citation.source_date:
                text.append(f" ({citation.source_date})", style="dim")
            text.append(f"\n  “{citation.quote}”", style="italic")
    return text


def timeline(history: IndicatorHistory, shown: int | None = None) -> Text:
    """The assessments, newest first: the newest `shown` of them when there are more (an
    indicator marked daily for years has hundreds, too long to lay out at once)."""
    text = Text().append_text(heading(f"Assessments ({len(history.assessments)}), newest first"))
    if not history.assessments:
        text.append("\nNot assessed yet.")
    for entry in history.assessments[:shown]:
        text.append("\n\n")
        text.append_text(assessment(entry, history.cited))
    earlier = len(history.assessments) - len(history.assessments[:shown])
    if earlier:
        text.append(f"\n\n{earlier} earlier assessment(s) not shown: press e for more.", "bold")
    return text


def assessment(entry: AssessmentEntry, observations: dict[str, ObservationEntry]) -> Text:
    text = Text().append(f"{entry.effective_on.isoformat()}  ", style="bold")
    text.append_text(status_label(entry.status, entry.direction))
    text.append(f"  · {entry.confidence} confidence · by {entry.author}", style="dim")
    text.append(f" · recorded {moment(entry.recorded_at)}", style="dim")
    text.append("\n  ")
    text.append(entry.rationale)
    for observation_id in entry.evidence:
        cited = observations.get(observation_id)
        text.append(f"\n  evidence {observation_id[:8]}", style="cyan")
        if cited is not None:
            text.append(f" {cited.event_date.isoformat()} ")
            text.append(cited.summary.splitlines()[0] if cited.summary else "")
            if cited.retraction is not None:
                text.append(" (since retracted)", style="red")
    return text


def observation(entry: ObservationEntry, bearings: tuple[tuple[str, str], ...] = ()) -> Text:
    text = Text().append(entry.event_date.isoformat(), style="bold")
    if entry.bearing is not None:
        text.append("  bearing ")
        text.append_text(bearing(entry.bearing))
    text.append(f"  {grading(entry.reliability, entry.credibility)}", style="dim")
    text.append(f"  by {entry.author}", style="dim")
    if entry.retraction is not None:
        text.append("  RETRACTED", style="bold red")
    if entry.retraction is not None:
        # First, before a long summary can push it out of sight.
        retraction = entry.retraction
        text.append(
            f"\nRetracted {moment(retraction.recorded_at)} by {retraction.author}: ", style="red"
        )
        text.append(retraction.reason, style="red")
    if bearings:
        text.append("\nBears on: ", style="bold")
        for index, (key, value) in enumerate(bearings):
            text.append(", " if index else "")
            text.append(f"{key} ")
            text.append_text(bearing(value))
    text.append("\n\n")
    text.append(entry.summary)
    if entry.quote:
        text.append("\n\n")
        text.append(f"“{entry.quote}”", style="italic")
    if entry.note:
        text.append("\n\n")
        text.append_text(labelled("Analyst's note", entry.note))
    text.append("\n\n")
    text.append_text(labelled("Source", source_line(entry)))
    text.append(f"\nid {entry.id} · recorded {moment(entry.recorded_at)}", style="dim")
    return text


def news_line(record: NewRecord) -> str:
    """One line of the "recorded by others" notice: who, what, and about what."""
    verb = {
        "observation": "logged",
        "assessment": "marked",
        "retraction": "retracted",
    }.get(record.kind, record.kind)
    return one_line(f"{record.author} {verb} {record.about}", 110)
