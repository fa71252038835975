"""The CoE web application."""
