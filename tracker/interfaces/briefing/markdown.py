"""The briefing as Markdown (CommonMark with GitHub's tables), from `briefing.md.j2`."""

from __future__ import annotations

from tracker.interfaces.briefing.templating import markdown_environment
from tracker.services.briefing import Briefing


def briefing_markdown(briefing: Briefing) -> str:
    return markdown_environment().get_template("briefing.md.j2").render(b=briefing)
