"""pytest plugin entry point (``pytest11``) of the CoE plugin test kit."""
