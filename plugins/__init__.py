"""The analyzers that ship with CoE, each registered as an ordinary plugin."""
