"""The built-in `techspec` analyzer plugin."""
