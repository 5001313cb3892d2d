"""Storage: the tables, the engine and sessions, and the migrations that keep them in step.

Nothing here knows about the command line or the terminal app, and nothing here holds
business rules; the services do.
"""
