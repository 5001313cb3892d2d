"""The briefing as one self-contained HTML page: styles and charts inline, nothing fetched.

A Content-Security-Policy in the page forbids every outside request and every script, so even a
mistake in escaping could not load or run anything.
"""

from __future__ import annotations

from importlib.resources import files

from markupsafe import Markup

from tracker.interfaces.briefing.charts import observations_chart_svg, status_grid_svg
from tracker.interfaces.briefing.templating import html_environment
from tracker.services.briefing import Briefing


def briefing_html(briefing: Briefing) -> str:
    stylesheet = files("tracker.interfaces.briefing").joinpath("templates/briefing.css")
    return (
        html_environment()
        .get_template("briefing.html.j2")
        .render(
            b=briefing,
            stylesheet=Markup(stylesheet.read_text(encoding="utf-8")),
            # Drawn by Matplotlib, which escapes every text it writes.
            status_grid=Markup(status_grid_svg(briefing)),
            observations_chart=Markup(observations_chart_svg(briefing)),
        )
    )
