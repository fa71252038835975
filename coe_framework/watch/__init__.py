"""Watched repositories: kept analyzed on a schedule and on pushes.

* :mod:`.registry` — the ``watched_repositories`` rows: add, list, remove, due, record checks;
* :mod:`.remote` — the cheap check: one ``git ls-remote`` per repository, run concurrently with a bound;
* :mod:`.leader` — one scheduler at a time through a lease row in the database;
* :mod:`.scheduler` — a pass: due watches, their heads, an analysis where the commit moved, backoff on failure;
* :mod:`.queueing` — the one way a watch queues an analysis (the existing job submission path);
* :mod:`.webhooks` — GitHub, GitLab and Gitea push deliveries: signatures, payloads;
* :mod:`.secrets` — webhook secrets, Fernet-encrypted or hashed;
* ``coe watch`` is :mod:`coe_framework.cli.watch`.
"""
