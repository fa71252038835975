"""Exports of one analysis: RAG documents, correlations, SARIF, CycloneDX SBOM, Markdown report."""
from __future__ import annotations

from apiflask import APIBlueprint

bp = APIBlueprint("exports", __name__, tag="Exports")
