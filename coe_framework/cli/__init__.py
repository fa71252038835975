"""The ``coe`` command: the root group, every command group (``cli/<group>.py``), and the terminal's progress and logging."""
