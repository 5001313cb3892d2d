"""The terminal app (Textual). Imported only when the app opens, so the command line stays fast."""
