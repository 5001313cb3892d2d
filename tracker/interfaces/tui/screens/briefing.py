"""`b`: the briefing for the current period, as the Markdown file would read, with its contents
beside it. From here the analyst changes the period (p), exports Markdown or HTML (e), and
records the briefing as issued (i).

The Markdown is drawn by Rich, one block per section: Textual's own Markdown widget builds a
widget per paragraph and took about 2 s for a week of the seeded set, Rich about 0.4 s."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import ClassVar

from rich.markdown import Markdown
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Header, OptionList, Static
from textual.widgets.option_list import Option

from tracker.interfaces.briefing.documents import briefing_document
from tracker.interfaces.briefing.markdown import briefing_markdown
from tracker.interfaces.briefing.templating import period_text
from tracker.interfaces.files import write_whole_file
from tracker.interfaces.tui.screens.base import RecordScreen
from tracker.interfaces.tui.screens.key_footer import KeyFooter
from tracker.services.briefing import Briefing, build_briefing
from tracker.services.briefing_periods import (
    BriefingScope,
    Period,
    briefing_scope,
    issue_briefing,
)

_MARKDOWN_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


@dataclass(frozen=True)
class PeriodChoice:
    """The period as the analyst asked for it; checked against the record on every read."""

    since: date | None = None  # None: the seven days to the end
    until: date | None = None  # None: today, or the as-of date
    since_last: bool = False


@dataclass(frozen=True)
class ShownBriefing:
    scope: BriefingScope
    briefing: Briefing
    markdown: str


class BriefingScreen(RecordScreen):
    AUTO_FOCUS = "#briefing"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", tooltip="Back"),
        Binding("p", "period", "Period…", tooltip="Choose the days the briefing covers"),
        Binding("e", "export", "Export…", tooltip="Write the briefing as Markdown or HTML"),
        Binding("c", "contents", "Contents", tooltip="Show or hide the table of contents"),
        Binding(
            "i",
            "issue",
            "Issue",
            tooltip="Record this briefing as issued: the next 'since last' starts after it",
        ),
    ]

    def __init__(self, set_slug: str | None = None) -> None:
        super().__init__()
        self.set_slug = set_slug
        self.choice = PeriodChoice()
        self.shown: ShownBriefing | None = None
        self.issued: Period | None = None  # issued from this screen: not offered again

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="◆")
        yield Static(id="briefing-period")
        with Horizontal():
            yield OptionList(id="briefing-contents")
            yield VerticalScroll(id="briefing", can_focus=True)
        yield KeyFooter()

    def reload(self) -> None:
        self.read_briefing(self.choice)

    def read_briefing(self, choice: PeriodChoice) -> None:
        """Read the briefing for `choice`; the choice is kept only once it has been shown, so a
        refused one (no briefing issued yet, say) leaves the screen as it was."""
        app = self.tracker
        until = choice.until or app.as_of

        def read() -> tuple[PeriodChoice, ShownBriefing]:
            scope = briefing_scope(
                app.db, app.clock, self.set_slug, choice.since, until, choice.since_last
            )
            briefing = build_briefing(app.db, app.clock, scope)
            return choice, ShownBriefing(scope, briefing, briefing_markdown(briefing))

        if self.shown is None:
            self.query_one("#briefing-period", Static).update(Text("Reading the record…"))
        self.read_in_background(read, self.show_briefing)

    async def show_briefing(self, read: tuple[PeriodChoice, ShownBriefing]) -> None:
        self.choice, shown = read
        self.shown = shown
        period = shown.scope.period
        line = Text()
        line.append(period_text(period.start, period.end), "bold")
        line.append(f"  ({period.days} days, compared with {period.day_before.isoformat()})")
        if shown.scope.follows is not None:
            line.append(f"  since the briefing issued by {shown.scope.follows.author}")
        line.append("   p: period · e: export · i: issue", "dim")
        self.query_one("#briefing-period", Static).update(line)
        self.title = f"Briefing — {shown.briefing.set_title}"
        document = self.query_one("#briefing", VerticalScroll)
        await document.remove_children()
        sections = [
            Static(Markdown(text, hyperlinks=True), classes="briefing-section")
            for text in markdown_sections(shown.markdown)
        ]
        await document.mount_all(sections)
        contents = self.query_one("#briefing-contents", OptionList)
        contents.clear_options()
        contents.add_options(
            Option(Text(section_title(text)), id=str(n))
            for n, text in enumerate(markdown_sections(shown.markdown))
        )
        self.refresh_bindings()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        sections = self.query(".briefing-section")
        index = int(event.option.id or 0)
        if index < len(sections):
            self.query_one("#briefing", VerticalScroll).scroll_to_widget(
                sections[index], top=True, animate=False
            )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in {"export", "issue"} and self.shown is None:
            return None  # shown dimmed until the briefing has been read
        if action == "issue" and (
            self.tracker.read_only or (self.shown and self.shown.scope.period == self.issued)
        ):
            return None
        return True

    def action_back(self) -> None:
        self.dismiss()

    def action_contents(self) -> None:
        contents = self.query_one("#briefing-contents", OptionList)
        contents.display = not contents.display

    def action_period(self) -> None:
        from tracker.interfaces.tui.screens.briefing_period import PeriodDialog

        def chosen(choice: PeriodChoice | None) -> None:
            if choice is not None:
                self.read_briefing(choice)

        app = self.tracker
        self.app.push_screen(PeriodDialog(self.choice, app.clock.today(), app.as_of), chosen)

    def action_export(self) -> None:
        from tracker.interfaces.tui.screens.briefing_export import ExportDialog

        shown = self.shown
        if shown is None:
            return
        period = shown.scope.period
        suggested = Path.cwd() / f"briefing-{shown.scope.set_slug}-{period.start}-{period.end}"

        def chosen(target: tuple[Path, str] | None) -> None:
            if target is not None:
                self._export(shown.briefing, *target)

        self.app.push_screen(ExportDialog(suggested), chosen)

    def _export(self, briefing: Briefing, path: Path, output_format: str) -> None:
        def write() -> Path:
            write_whole_file(path, briefing_document(briefing, output_format))
            return path

        def written(path: Path) -> None:
            self.notify(f"Saved the briefing to {path}", title="Exported", markup=False)

        self.read_in_background(write, written, group="export")

    def action_issue(self) -> None:
        from tracker.interfaces.tui.screens.confirm import ConfirmDialog

        shown = self.shown
        if shown is None or self.tracker.read_only or shown.scope.period == self.issued:
            return
        period = shown.scope.period
        next_start = (period.end + timedelta(days=1)).isoformat()

        def answered(yes: bool | None) -> None:
            if yes:
                self._issue(shown)

        self.app.push_screen(
            ConfirmDialog(
                f"Record the briefing of {period_text(period.start, period.end)} as issued? "
                f"The next briefing 'since the last one' will start on {next_start}.",
                "Issue",
                "Cancel",
            ),
            answered,
        )

    def _issue(self, shown: ShownBriefing) -> None:
        app = self.tracker
        scope = shown.scope

        def write() -> str:
            # Issued as shown: what was recorded after it was read is news for the next one.
            issue_briefing(app.db, scope, shown.briefing.generated_at)
            return (scope.period.end + timedelta(days=1)).isoformat()

        def issued(next_start: str) -> None:
            # Keep showing what was issued: "since the last briefing" now starts after it.
            self.choice = PeriodChoice(since=scope.period.start, until=scope.period.end)
            self.issued = scope.period
            self.notify(
                f"Recorded as issued. The next briefing since the last one starts on {next_start}.",
                title="Issued",
                markup=False,
            )
            app.note_saved()

        self.read_in_background(write, issued, group="issue")


def markdown_sections(markdown: str) -> list[str]:
    """The document cut before each second-level heading: the title block, then one section per
    heading (Summary, Where things stand, each theme, Sources)."""
    sections: list[list[str]] = [[]]
    for line in markdown.splitlines():
        if line.startswith("## "):
            sections.append([])
        sections[-1].append(line)
    return ["\n".join(lines) for lines in sections if any(line.strip() for line in lines)]


def section_title(section: str) -> str:
    first = section.splitlines()[0]
    # The headings are the template's own and titles escaped for Markdown; show them unescaped.
    return _MARKDOWN_ESCAPE.sub(r"\1", first.lstrip("#").strip())
