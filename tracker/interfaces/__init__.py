"""Interfaces: the command line (and, later, the terminal app and briefing renderers).

They turn what users type into service calls and service results into output. No SQL and no
business rules here.
"""
