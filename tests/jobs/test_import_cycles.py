"""The job modules and the analysis entry import each other in one direction only."""
from __future__ import annotations

import pytest

#: Modules whose imports must form no cycle with any other module of the core.
CHECKED = ("coe_framework.jobs", "coe_framework.analysis", "coe_framework.analysis.service", "coe_framework.db.request_status",
           "coe_framework.watch.runtime")


def test_no_import_cycle_runs_through_the_job_modules() -> None:
    grimp = pytest.importorskip("grimp")
    graph = grimp.build_graph("coe_framework")
    checked = sorted(m for m in graph.modules if m.startswith(CHECKED))
    cycles = []
    for module in checked:
        for imported in graph.find_modules_that_directly_import(module) & graph.find_upstream_modules(module):
            cycles.append(f"{module} <-> {imported}: {' -> '.join(graph.find_shortest_chain(importer=module, imported=imported) or ())}")
    assert not cycles, "\n".join(cycles)
