"""``python -m coe_framework``: the same as the ``coe`` command."""
from coe_framework.cli.main import main

main()
