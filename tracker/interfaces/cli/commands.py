"""`tracker`: the command line. Each command parses what was typed, calls one service, prints.

Exit status: see `invocation`. `tracker observe` and `tracker mark` usually start through
`quick` without loading this module; everything else, help and every mistake included, comes
here.
"""

from __future__ import annotations

import sys
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tracker.errors import TrackerError
from tracker.interfaces.cli import output, recording, render
from tracker.interfaces.cli.invocation import (
    DATABASE_FAILURE,
    MARKED_MEANWHILE,
    Invocation,
    reporting_errors,
)
from tracker.services.history import indicator_history
from tracker.services.retractions import retract_observation
from tracker.services.seeding import load_definitions, read_definitions
from tracker.services.status import status_as_of

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tracker.services.briefing_periods import BriefingScope
    from tracker.services.record_export import RecordExport

# The briefing, export, import and backup machinery (Jinja, Matplotlib, the export schema) is
# imported by the commands that use it, so the others start without it.

app = typer.Typer(
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    help="Track the indicators of a negotiation: log observations, mark indicators moved or "
    "unmoved, see where everything stands on any date.",
)


def _invocation(ctx: typer.Context) -> Invocation:
    invocation = ctx.find_root().obj
    assert isinstance(invocation, Invocation)
    return invocation


DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="SQLite file path or SQLAlchemy URL (default: $TRACKER_DB, else tracker.sqlite3 "
        "in your data folder).",
        show_default=False,
    ),
]
SetOption = Annotated[
    str | None, typer.Option("--set", help="Indicator set slug, when keys are ambiguous.")
]
AuthorOption = Annotated[
    str | None,
    typer.Option("--author", help="Who is recording this (default: $TRACKER_AUTHOR or login)."),
]


@app.callback(invoke_without_command=True)
def main(ctx: typer.Context, db: DbOption = None) -> None:
    invocation = Invocation(db_value=db)
    ctx.obj = invocation
    ctx.call_on_close(invocation.close)
    if ctx.invoked_subcommand is None:
        if sys.stdin.isatty() and sys.stdout.isatty():
            ctx.invoke(open_app, ctx=ctx)
        else:
            # Piped or scripted: there is no one to press keys, so print the board instead.
            ctx.invoke(status, ctx=ctx)


@app.command("app")
def open_app(ctx: typer.Context) -> None:
    """Open the terminal app (what `tracker` alone does in a terminal)."""
    invocation = _invocation(ctx)
    with reporting_errors():
        database = invocation.database()
    # Imported here: the other commands should not pay for loading Textual.
    from tracker.interfaces.tui.launch import run_app

    run_app(database, invocation.clock)


@app.command()
def status(
    ctx: typer.Context,
    set_slug: SetOption = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Show the picture on this date (YYYY-MM-DD).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Where every indicator stands, by theme: today, or as of a past date."""
    invocation = _invocation(ctx)
    with reporting_errors():
        board = status_as_of(invocation.database(), invocation.clock, as_of, set_slug)
    if as_json:
        output.data(render.status_json(board))
    else:
        for part in render.status_tables(board):
            output.show(part)


@app.command()
def observe(
    ctx: typer.Context,
    keys: Annotated[
        list[str],
        typer.Argument(
            metavar="KEY",
            help="Indicators it bears on; KEY:toward, KEY:away or KEY:none sets one bearing.",
            show_default=False,
        ),
    ],
    text: Annotated[str, typer.Option("--text", help="What you observed (required).")],
    on: Annotated[
        str | None, typer.Option("--date", help="When it happened (YYYY-MM-DD; default today).")
    ] = None,
    quote: Annotated[str | None, typer.Option("--quote", help="Verbatim quote.")] = None,
    source: Annotated[str | None, typer.Option("--source", help="Source title.")] = None,
    publisher: Annotated[str | None, typer.Option("--publisher", help="Source publisher.")] = None,
    url: Annotated[str | None, typer.Option("--url", help="Source URL.")] = None,
    reliability: Annotated[
        str | None, typer.Option("--reliability", help="Source reliability, A to F.")
    ] = None,
    credibility: Annotated[
        str | None, typer.Option("--credibility", help="Information credibility, 1 to 6.")
    ] = None,
    bearing: Annotated[
        str, typer.Option("--bearing", help="toward, away or none, for every KEY.")
    ] = "none",
    note: Annotated[str | None, typer.Option("--note", help="Your caveat on the evidence.")] = None,
    author: AuthorOption = None,
    set_slug: SetOption = None,
) -> None:
    """Record an observation against one or more indicators; prints its id."""
    recording.observe(
        _invocation(ctx),
        keys,
        text,
        on=on,
        quote=quote,
        source=source,
        publisher=publisher,
        url=url,
        reliability=reliability,
        credibility=credibility,
        bearing=bearing,
        note=note,
        author=author,
        set_slug=set_slug,
    )


@app.command()
def mark(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="The indicator.", show_default=False)],
    new_status: Annotated[
        str, typer.Argument(metavar="moved|unmoved", help="Its status.", show_default=False)
    ],
    why: Annotated[str, typer.Option("--why", help="The reason (required).")],
    direction: Annotated[
        str | None, typer.Option("--direction", help="toward or away (required when moved).")
    ] = None,
    confidence: Annotated[
        str, typer.Option("--confidence", help="low, medium or high.")
    ] = "medium",
    evidence: Annotated[
        list[str] | None,
        typer.Option("--evidence", help="An observation id (or its first 6+ characters); repeat."),
    ] = None,
    on: Annotated[
        str | None, typer.Option("--date", help="Effective date (YYYY-MM-DD; default today).")
    ] = None,
    author: AuthorOption = None,
    set_slug: SetOption = None,
    supersedes: Annotated[
        str | None,
        typer.Option(
            "--supersedes",
            metavar="ID|none",
            help="The assessment you saw as the latest (its id from `tracker history`, or "
            "'none'). If a colleague has marked the indicator since, nothing is recorded and "
            f"the command exits {MARKED_MEANWHILE}.",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Record it even if the indicator was marked since.")
    ] = False,
) -> None:
    """Mark an indicator moved (toward or away from a settlement) or unmoved, and say why."""
    recording.mark(
        _invocation(ctx),
        key,
        new_status,
        why,
        direction=direction,
        confidence=confidence,
        evidence=evidence,
        on=on,
        author=author,
        set_slug=set_slug,
        supersedes=supersedes,
        force=force,
    )


@app.command()
def retract(
    ctx: typer.Context,
    observation: Annotated[
        str, typer.Argument(help="The observation id (or its first 6+ characters).")
    ],
    why: Annotated[str, typer.Option("--why", help="The reason (required).")],
    author: AuthorOption = None,
) -> None:
    """Retract an observation: it stays on the record, marked retracted, with your reason."""
    invocation = _invocation(ctx)
    with reporting_errors():
        recorded = retract_observation(
            invocation.database(), observation, why, invocation.clock, author
        )
    output.data(recorded.id)
    output.say(f"Retracted observation {recorded.observation_id}.")


@app.command()
def history(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="The indicator.", show_default=False)],
    set_slug: SetOption = None,
) -> None:
    """An indicator's definition, assessments and observations, newest first."""
    invocation = _invocation(ctx)
    with reporting_errors():
        result = indicator_history(invocation.database(), key, set_slug)
    output.show(render.history_view(result))


class BriefingFormat(StrEnum):
    MD = "md"
    HTML = "html"
    JSON = "json"


_FORMAT_BY_SUFFIX = {
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
    ".json": "json",
}


@app.command()
def brief(
    ctx: typer.Context,
    set_slug: SetOption = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="First day of the period (YYYY-MM-DD; default: 7 days)."),
    ] = None,
    since_last: Annotated[
        bool,
        typer.Option("--since-last", help="Start the day after the last issued briefing ended."),
    ] = False,
    until: Annotated[
        str | None, typer.Option("--until", help="Last day of the period (default: today).")
    ] = None,
    output_format: Annotated[
        BriefingFormat | None,
        typer.Option(
            "--format",
            help="md, html or json (default: from the -o file's extension, else md).",
            show_default=False,
        ),
    ] = None,
    output_file: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="Write to this file instead of standard output."),
    ] = None,
    issue: Annotated[
        bool,
        typer.Option("--issue", help="Record it as issued: the next --since-last starts after it."),
    ] = False,
    author: AuthorOption = None,
) -> None:
    """The briefing for a period: what moved and why, what was observed, what went quiet."""
    import gc

    from tracker.interfaces.briefing.documents import briefing_document
    from tracker.interfaces.files import write_whole_file
    from tracker.services.briefing import build_briefing
    from tracker.services.briefing_periods import briefing_scope, issue_briefing, issuer

    invocation = _invocation(ctx)
    chosen = output_format.value if output_format else _format_of(output_file)
    with reporting_errors():
        issued_by = issuer(author) if issue else None
        database = invocation.database()
        scope = briefing_scope(database, invocation.clock, set_slug, since, until, since_last)
        # A year's briefing is tens of thousands of records that all live until the process
        # ends: the cycle collector, walking them again and again, cost a fifth of the build.
        # Nothing here makes cycles worth collecting, and this process ends with the command.
        gc.disable()
        try:
            briefing = build_briefing(database, invocation.clock, scope)
        finally:
            gc.enable()
        gc.freeze()
        document = briefing_document(briefing, chosen)
        if output_file is None:
            output.data(document.rstrip("\n"))
        else:
            write_whole_file(output_file, document)
        issued = (
            issue_briefing(database, scope, briefing.generated_at, issued_by) if issue else None
        )
    period = f"{scope.period.start.isoformat()} to {scope.period.end.isoformat()}"
    if output_file is not None:
        output.say(f"Wrote the {chosen} briefing of {scope.set_slug}, {period}, to {output_file}.")
    if issued is not None:
        output.say(f"Recorded as issued; the next --since-last starts on {_day_after(scope)}.")


def _format_of(path: Path | None) -> str:
    return _FORMAT_BY_SUFFIX.get(path.suffix.lower(), "md") if path is not None else "md"


def _day_after(scope: BriefingScope) -> str:
    return (scope.period.end + timedelta(days=1)).isoformat()


@app.command("export")
def export_command(
    ctx: typer.Context,
    set_slug: Annotated[
        str | None, typer.Option("--set", help="Only this indicator set and its records.")
    ] = None,
    output_file: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="Write to this file instead of standard output."),
    ] = None,
    as_format: Annotated[
        str,
        typer.Option(
            "--format",
            help="json (everything, for import) or csv (observations, for spreadsheets).",
        ),
    ] = "json",
    schema: Annotated[
        bool, typer.Option("--schema", help="Print the export format as JSON Schema instead.")
    ] = False,
) -> None:
    """Everything recorded (sets, indicators, observations, retractions, assessments, issued
    briefings) as versioned JSON, for backup, moving to a team database, or other tools."""
    from tracker.interfaces.files import writing_whole_file
    from tracker.services.record_export import exporting_record
    from tracker.services.record_file import record_file_schema

    if schema:
        output.data(record_file_schema())
        return
    invocation = _invocation(ctx)
    with reporting_errors():
        if as_format not in {"json", "csv"}:
            raise TrackerError(f"--format must be json or csv, not '{as_format}'")
        # Written as the records are read: an archive's million are never all in memory.
        with (
            output.progress_bar() as progress,
            exporting_record(invocation.database(), set_slug, progress) as export,
        ):
            pieces = export.json_pieces() if as_format == "json" else _csv_pieces(export)
            if output_file is None:
                for piece in pieces:
                    sys.stdout.buffer.write(piece)
                sys.stdout.flush()
            else:
                with writing_whole_file(output_file) as file:
                    for piece in pieces:
                        file.write(piece)
            counts = export.totals()
    if output_file is not None:
        output.say(
            f"Exported {counts['sets']} set(s), {counts['observations']} observation(s), "
            f"{counts['assessments']} assessment(s), {counts['retractions']} retraction(s) "
            f"and {counts['issued_briefings']} issued briefing(s) to {output_file}."
        )


def _csv_pieces(export: RecordExport) -> Iterator[bytes]:
    """The observations as `observations_csv` writes them, a batch at a time: the text of each
    batch without the header it starts with (the rows are written alike whatever comes
    before them)."""
    from tracker.interfaces.observations_csv import observations_csv
    from tracker.services.record_file import RecordFile

    withdrawn = {r.observation: r for r in export.retractions()}
    header = observations_csv(RecordFile.model_construct(observations=[], retractions=[]))
    yield header.encode()
    for batch in export.observations():
        retractions = [withdrawn[o.uuid] for o in batch if o.uuid in withdrawn]
        part = RecordFile.model_construct(observations=batch, retractions=retractions)
        yield observations_csv(part).removeprefix(header).encode()


@app.command("import")
def import_command(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(metavar="FILE", help="A file made by tracker export.")],
) -> None:
    """Merge an export into this database: all of it or, on any problem, none of it. Records
    already here are skipped, so importing twice changes nothing."""
    from tracker.interfaces.files import text_file_blocks
    from tracker.services.record_file import check_record_file
    from tracker.services.record_import import import_record

    invocation = _invocation(ctx)
    # Checked whole, a batch at a time, before the database is opened (or made): a file with
    # a problem anywhere leaves no trace.
    with (
        reporting_errors(),
        check_record_file(lambda: text_file_blocks(path), str(path)) as record,
    ):
        # A new database is not seeded first: the file brings its own sets.
        database = invocation.database(seed_if_new=False)
        with output.progress_bar() as progress:
            report = import_record(database, record, progress)
    added = ", ".join(f"{count} {kind}" for kind, count in report.added.items()) or "nothing new"
    kept = (
        f"; {report.definitions_kept} definition(s) here differ in wording and were kept"
        if report.definitions_kept
        else ""
    )
    output.say(
        f"Imported {path} into {database.describe()}: {added} added; "
        f"{report.already_held} record(s) were already here{kept}."
    )


@app.command()
def backup(
    ctx: typer.Context,
    path: Annotated[
        Path | None,
        typer.Argument(
            metavar="[PATH]",
            help="Where to write the copy (default: a timestamped file beside the database).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """A consistent copy of the SQLite database, safe to take while tracker is writing."""
    from tracker.services.backups import back_up

    invocation = _invocation(ctx)
    with reporting_errors():
        written = back_up(
            invocation.database(seed_if_new=False, must_exist=True), invocation.clock, path
        )
    output.data(str(written))
    output.say(f"Backed up to {written}.")


@app.command()
def check(ctx: typer.Context) -> None:
    """Run SQLite's integrity check on the database and report what it finds."""
    from tracker.services.backups import check_database

    invocation = _invocation(ctx)
    with reporting_errors():
        database = invocation.database(seed_if_new=False, must_exist=True)
        problems = check_database(database)
    if problems:
        for problem in problems:
            output.error(problem)
        output.error(
            f"{database.describe()} is damaged ({len(problems)} problem(s)); restore it from a "
            "backup or an export"
        )
        raise typer.Exit(DATABASE_FAILURE)
    output.say(f"{database.describe()}: integrity check passed.")


@app.command()
def seed(
    ctx: typer.Context,
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="PATH",
            help="Indicator-set files (default: the sets that ship with tracker).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Load indicator-set definitions. Safe to repeat: it updates wording, never history."""
    invocation = _invocation(ctx)
    with reporting_errors():
        loaded = read_definitions(list(paths or []))
        database = invocation.database(seed_if_new=False)
        report = load_definitions(database, loaded, invocation.clock)
    output.say(render.seed_summary(report, database.describe()))
