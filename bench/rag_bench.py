"""Benchmark of RAG document building against its floor and against the analysis itself.

Run by hand (never as a test)::

    .venv/bin/python bench/rag_bench.py [--path REPOSITORY] [--rounds N]

The repository (default: this project's own checkout) is analysed once with
every built-in analyzer (timed: the analysis the documents come from). Then,
interleaved for ``--rounds`` rounds so a noisy machine slows both alike:

* the floor: listing the tree and reading every blob the documents are made
  from (each file the ast analyzer described and each documentation file of
  the techspec inventory), decoded as text;
* building every document (:func:`coe_framework.outputs.rag.collect.build_documents`, no
  embedding plugin), which does that reading plus chunking and formatting;
* writing the documents as JSONL (to memory).

Reported: document counts by kind, median times, the ratio of the build to
its floor, and the build as a share of the analysis time.
"""
from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from coe_framework.plugin.context import BlobReader, list_files
from coe_framework.outputs.rag.collect import build_documents, write_jsonl
from coe_framework.analysis.service import analyze_repositories

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.rag.conftest import rag_manager  # noqa: E402 - the built-ins with their document hooks


def read_floor(repository: dict[str, Any], paths: list[str]) -> int:
    """List the tree and read ``paths`` as text: what any document builder must at least do."""
    entries = {e.path: e for e in list_files(repository["path"], repository["commit"]) if e.is_regular}
    reader = BlobReader(repository["path"])
    total = 0
    try:
        for path in paths:
            entry = entries.get(path)
            if entry is not None:
                total += len(reader.read(entry.sha).decode("utf-8", "replace"))
    finally:
        reader.close()
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", default=str(Path(__file__).resolve().parents[1]), help="Repository to analyse (default: this checkout).")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    manager = rag_manager()
    started = time.perf_counter()
    report = analyze_repositories(manager, [args.path], store=None)
    analysis_seconds = time.perf_counter() - started
    outcome, prepared = report.repositories[0], report.prepared[0]
    results = {name: o.data for name, o in outcome.outcomes.items() if o.ok}
    repository = {"url": prepared.source.url, "name": prepared.source.name, "commit": prepared.commit, "path": str(prepared.git_dir)}
    paths = sorted(set((results.get("ast") or {}).get("files", {})) | {d["path"] for d in (results.get("techspec") or {}).get("docs", [])})

    floor, build, write = [], [], []
    documents: list[Any] = []
    for _ in range(args.rounds):
        t0 = time.perf_counter()
        read_floor(repository, paths)
        t1 = time.perf_counter()
        documents = build_documents(manager, repository, results, embed=False).documents
        t2 = time.perf_counter()
        write_jsonl(documents, io.StringIO())
        t3 = time.perf_counter()
        floor.append(t1 - t0)
        build.append(t2 - t1)
        write.append(t3 - t2)

    kinds = Counter(d.kind for d in documents)
    median = statistics.median
    print(f"repository: {args.path} at {prepared.commit[:12]}, {len(paths)} files read, {len(documents)} documents "
          f"({', '.join(f'{k} {n}' for k, n in sorted(kinds.items()))})")
    print(f"analysis (git, ast, techspec):     {analysis_seconds:8.3f} s")
    print(f"floor: list + read blobs as text:  {median(floor):8.3f} s   1.00x")
    print(f"build_documents:                   {median(build):8.3f} s   {median(build) / median(floor):5.2f}x floor, "
          f"{100 * median(build) / analysis_seconds:.0f}% of the analysis")
    print(f"JSONL write (to memory):           {median(write):8.3f} s   {len(documents) / max(median(write), 1e-9):,.0f} documents/s")


if __name__ == "__main__":
    main()
