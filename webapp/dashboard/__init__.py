"""The dashboard: portfolio, repository and file pages over the store, with sign-in by token."""
