"""The exceptions users can meet. Messages are written for an analyst; the interfaces show them
as they are (a clear line, an exit status, an inline message), never a traceback.
"""


class TrackerError(Exception):
    """Something the user asked cannot be done; `str(error)` says what and why."""


class StorageFailure(TrackerError):
    """The database failed underneath a valid request (disk full, locked too long, server
    gone). The unit of work was rolled back: nothing of it was recorded."""
