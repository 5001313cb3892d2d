"""The briefing as JSON for scripts: every number and text of the documents, nothing rendered.

`BRIEFING_SCHEMA` changes whenever a field is renamed or removed, so readers can tell.
"""

from __future__ import annotations

import json
from typing import Any

from tracker.interfaces.wording import iso
from tracker.services.briefing import (
    Briefing,
    IndicatorBrief,
    PeriodAssessment,
    Reference,
    StatusAt,
    ThemeBrief,
)
from tracker.services.briefing_periods import Period

BRIEFING_SCHEMA = 1


def briefing_json(briefing: Briefing) -> str:
    document = {
        "briefing_schema": BRIEFING_SCHEMA,
        "set": {"slug": briefing.set_slug, "title": briefing.set_title},
        "period": _period(briefing.period),
        "compared_with": briefing.period.day_before.isoformat(),
        "follows": (
            {
                "id": briefing.follows.id,
                "period": _period(briefing.follows.period),
                "issued_by": briefing.follows.author,
                "issued_at": briefing.follows.issued_at.isoformat(),
            }
            if briefing.follows
            else None
        ),
        "generated_at": briefing.generated_at.isoformat(),
        "counts": briefing.counts.__dict__,
        "chart_weeks": [week.isoformat() for week in briefing.weeks],
        "weekly_observations": list(briefing.weekly_observations),
        "themes": [_theme(theme) for theme in briefing.themes],
        "references": [_reference(reference) for reference in briefing.references],
    }
    return json.dumps(document, indent=2, ensure_ascii=False)


def _period(period: Period) -> dict[str, Any]:
    return {"start": period.start.isoformat(), "end": period.end.isoformat(), "days": period.days}


def _theme(theme: ThemeBrief) -> dict[str, Any]:
    return {
        "key": theme.key,
        "title": theme.title,
        "weekly_observations": list(theme.weekly_observations),
        "indicators": [_indicator(indicator) for indicator in theme.indicators],
    }


def _indicator(i: IndicatorBrief) -> dict[str, Any]:
    return {
        "key": i.key,
        "title": i.title,
        "start": _status(i.start),
        "end": _status(i.end),
        "changed": i.changed,
        "first_assessed": i.first_assessed,
        "moved": i.moved,
        "quiet": i.quiet,
        "last_observed_on": iso(i.last_observed_on),
        "assessments": [_assessment(a) for a in i.assessments],
        "observations": [
            {
                "reference": o.reference,
                "bearing": o.bearing,
                "late": o.late,
                "retracted": o.retracted,
            }
            for o in i.observations
        ],
        "retractions": [
            {
                "reference": r.reference,
                "reason": r.reason,
                "author": r.author,
                "recorded_at": r.recorded_at.isoformat(),
                "recorded_on": r.recorded_on.isoformat(),
            }
            for r in i.retractions
        ],
        "weekly_status": [_status(s) for s in i.weekly],
    }


def _status(status: StatusAt) -> dict[str, Any]:
    return {
        "status": status.status,
        "direction": status.direction,
        "confidence": status.confidence,
        "assessed_on": iso(status.assessed_on),
    }


def _assessment(a: PeriodAssessment) -> dict[str, Any]:
    return {
        "id": a.id,
        "status": a.status,
        "direction": a.direction,
        "confidence": a.confidence,
        "rationale": a.rationale,
        "author": a.author,
        "effective_on": a.effective_on.isoformat(),
        "recorded_at": a.recorded_at.isoformat(),
        "recorded_on": a.recorded_on.isoformat(),
        "late": a.late,
        "evidence": list(a.evidence),
    }


def _reference(reference: Reference) -> dict[str, Any]:
    o = reference.observation
    return {
        "number": reference.number,
        "id": o.id,
        "event_date": o.event_date.isoformat(),
        "recorded_at": o.recorded_at.isoformat(),
        "recorded_on": reference.recorded_on.isoformat(),
        "summary": o.summary,
        "quote": o.quote,
        "note": o.note,
        "source": {
            "title": o.source_title,
            "publisher": o.source_publisher,
            "date": iso(o.source_date),
            "url": o.source_url,
            "unsourced": o.unsourced,
        },
        "reliability": o.reliability,
        "credibility": o.credibility,
        "author": o.author,
        "retraction": (
            {
                "reason": o.retraction.reason,
                "author": o.retraction.author,
                "recorded_at": o.retraction.recorded_at.isoformat(),
                "recorded_on": iso(reference.retracted_on),
            }
            if o.retraction
            else None
        ),
    }
