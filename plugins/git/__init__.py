"""The built-in `git` analyzer plugin."""
