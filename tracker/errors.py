"""The one exception type users can meet. Its message is written for an analyst; the
interfaces show it as it is (a clear line, an exit status, an inline message), never a traceback.
"""


class TrackerError(Exception):
    """Something the user asked cannot be done; `str(error)` says what and why."""
