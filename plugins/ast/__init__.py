"""The built-in `ast` analyzer plugin."""
