"""One analysis: from a validated submission to stored results."""
