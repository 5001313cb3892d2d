"""One screen (or dialog) a module."""
