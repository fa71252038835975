"""The sample distributions hold their own tests, run only inside their temporary environments."""

collect_ignore_glob = ["sample_plugin/*", "broken_plugin/*"]
