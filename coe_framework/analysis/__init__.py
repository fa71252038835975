"""One analysis: from validated repositories and analyzers to stored results."""
