"""`tracker observe` and `tracker mark` once their arguments are parsed: the daily logging.

Both the Typer commands and the quick path (`quick.py`) call these, so the two cannot drift.
Each imports its own service when it runs: a process records one or the other, never both.
"""

from __future__ import annotations

from tracker.interfaces.cli import output
from tracker.interfaces.cli.invocation import MARKED_MEANWHILE, Invocation, reporting_errors


def observe(
    invocation: Invocation,
    keys: list[str],
    text: str,
    *,
    on: str | None = None,
    quote: str | None = None,
    source: str | None = None,
    publisher: str | None = None,
    url: str | None = None,
    reliability: str | None = None,
    credibility: str | None = None,
    bearing: str = "none",
    note: str | None = None,
    author: str | None = None,
    set_slug: str | None = None,
) -> None:
    """Each argument as typed, None when not given (the options of `tracker observe`)."""
    from tracker.services.observations import ObservationDraft, record_observation

    draft = ObservationDraft(
        bearings=[_key_and_bearing(key, bearing) for key in keys],
        summary=text,
        event_date=on,
        quote=quote,
        note=note,
        source_title=source,
        source_publisher=publisher,
        source_url=url,
        reliability=reliability,
        credibility=credibility,
        author=author,
        set_slug=set_slug,
    )
    with reporting_errors():
        recorded = record_observation(invocation.database(), draft, invocation.clock)
    output.data(recorded.id)
    sourcing = (
        " It is marked unsourced (no --source, --publisher or --url)." if recorded.unsourced else ""
    )
    output.say(
        f"Recorded observation of {recorded.event_date.isoformat()} on "
        f"{', '.join(recorded.indicator_keys)}.{sourcing}"
    )


def _key_and_bearing(argument: str, default: str) -> tuple[str, str]:
    key, separator, bearing = argument.partition(":")
    return (key, bearing) if separator else (key, default)


def mark(
    invocation: Invocation,
    key: str,
    new_status: str,
    why: str,
    *,
    direction: str | None = None,
    confidence: str = "medium",
    evidence: list[str] | None = None,
    on: str | None = None,
    author: str | None = None,
    set_slug: str | None = None,
    supersedes: str | None = None,
    force: bool = False,
) -> None:
    """Each argument as typed, None when not given (the options of `tracker mark`)."""
    from tracker.services.assessments import AssessmentDraft, MarkedMeanwhile, assess_indicator

    draft = AssessmentDraft(
        indicator_key=key,
        status=new_status,
        rationale=why,
        direction=direction,
        confidence=confidence,
        evidence=list(evidence or []),
        effective_on=on,
        author=author,
        set_slug=set_slug,
        supersedes=supersedes,
        force=force,
    )
    with reporting_errors():
        try:
            recorded = assess_indicator(invocation.database(), draft, invocation.clock)
        except MarkedMeanwhile as exc:
            output.error(
                f"{exc}. Read it with `tracker history {exc.indicator_key}`; then mark again "
                f"with --supersedes {exc.latest.id[:8]}, or add --force to record yours anyway."
            )
            raise SystemExit(MARKED_MEANWHILE) from None
    output.data(recorded.id)
    direction_text = f" {recorded.direction}" if recorded.direction else ""
    superseding = f" It supersedes {recorded.supersedes[:8]}." if recorded.supersedes else ""
    output.say(
        f"Marked {recorded.indicator_key} {recorded.status}{direction_text} "
        f"as of {recorded.effective_on.isoformat()}.{superseding}"
    )
