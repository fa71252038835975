"""Measures: named numbers analyzers derive from their results, kept per commit.

* :mod:`.registry`: the :class:`Measure` declarations plugins contribute
  through ``coe_register_measures`` and how values are computed from results;
* :mod:`.queries`: the ``measures`` table (filled when results are stored) and trends;
* backfilling measures over sampled commits is :mod:`coe_framework.analysis.history`;
* the commands are ``coe trend`` and ``coe history`` (:mod:`coe_framework.cli.measures`).

Quality gates over measures live in :mod:`coe_framework.gate`.
"""
from __future__ import annotations

from .registry import Catalogue, Measure, catalogue

__all__ = ["Catalogue", "Measure", "catalogue"]
