"""The observations of an export as CSV, one row each, for spreadsheets.

A cell that a spreadsheet would run as a formula (starting with =, +, -, @, tab or carriage
return) is written with a leading apostrophe, which spreadsheets show as text and do not run.
"""

from __future__ import annotations

import csv
import io

from tracker.services.record_file import RecordFile

COLUMNS = [
    "id",
    "event_date",
    "recorded_at",
    "summary",
    "quote",
    "note",
    "source_title",
    "source_publisher",
    "source_url",
    "source_date",
    "unsourced",
    "reliability",
    "credibility",
    "author",
    "indicators",
    "retracted_at",
    "retraction_reason",
]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def observations_csv(record: RecordFile) -> str:
    retractions = {r.observation: r for r in record.retractions}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for o in record.observations:
        retraction = retractions.get(o.uuid)
        row = [
            o.uuid,
            o.event_date.isoformat(),
            o.recorded_at.isoformat(),
            o.summary,
            o.quote,
            o.note,
            o.source_title,
            o.source_publisher,
            o.source_url,
            o.source_date.isoformat() if o.source_date else None,
            "yes" if o.unsourced else "no",
            o.reliability,
            o.credibility,
            o.author,
            "; ".join(f"{b.set}/{b.indicator}:{b.bearing}" for b in o.bearings),
            retraction.recorded_at.isoformat() if retraction else None,
            retraction.reason if retraction else None,
        ]
        writer.writerow([_cell(value) for value in row])
    return buffer.getvalue()


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text
