"""The briefing as documents: Markdown, HTML with charts, and JSON, all from one `Briefing`."""
