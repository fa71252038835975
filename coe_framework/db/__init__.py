"""Persistence: models, engine and the shared queries."""
