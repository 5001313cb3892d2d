"""The briefing in the format asked for."""

from __future__ import annotations

from tracker.services.briefing import Briefing


def briefing_document(briefing: Briefing, output_format: str) -> str:
    # Each renderer is imported when asked for: HTML brings in Matplotlib, which takes time.
    if output_format == "html":
        from tracker.interfaces.briefing.html import briefing_html

        return briefing_html(briefing)
    if output_format == "json":
        from tracker.interfaces.briefing.json_document import briefing_json

        return briefing_json(briefing) + "\n"
    from tracker.interfaces.briefing.markdown import briefing_markdown

    return briefing_markdown(briefing)
