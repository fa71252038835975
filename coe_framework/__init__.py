"""CoE: a plugin-based Git repository analysis framework."""

__version__ = "0.1.0"
