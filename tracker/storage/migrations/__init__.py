"""Alembic migrations. tracker runs them itself when it opens a database; see runner.py."""
