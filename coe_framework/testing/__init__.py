"""The plugin test kit: fixtures and a conformance check for analyzer authors."""
