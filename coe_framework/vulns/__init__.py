"""Known vulnerabilities in analysed dependencies, from OSV advisories, offline.

* :mod:`.sources` reads OSV records from a directory, a zip export or a file,
  refusing hostile archives;
* :mod:`.osv` turns one record into an :class:`~.osv.Advisory` (or names why not);
* :mod:`.versions` holds each ecosystem's version order and range rules;
* :mod:`.importer` stores advisories in batches, one unit of work each;
* :mod:`.version_index` turns one package's advisories into a sorted version
  grid, and :mod:`.indexes` stores those grids;
* :mod:`.matching` matches stored dependencies to advisories and stores the hits;
* :mod:`.queries` reads hits back for the CLI, the API and the exports;
* ``coe vulns`` is :mod:`coe_framework.cli.vulns`.
"""
