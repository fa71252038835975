"""Search quality: recall@5 and MRR of lexical, vector and hybrid ranking over a labelled query set.

Run by hand (never as a test)::

    .venv/bin/python bench/search_quality.py [--no-vectors] [--show-misses]

The two repositories of ``bench/search_quality_fixtures.py`` are written as
git repositories in a temporary directory and analysed with the built-in
analyzers into a fresh SQLite database, which indexes their documents. With
the ``embeddings-local`` extra installed (and without ``--no-vectors``),
``COE_EMBEDDINGS_PROVIDER=local`` embeds them with the packaged
all-MiniLM-L6-v2 model. Each query is asked within its repository; a query
is answered when a hit in the top 5 is the labelled file (and the labelled
symbol, when one is given). Reported per ranking: recall@5 (answered share)
and MRR (mean of 1 / rank of the first right hit, 0 past rank 10).
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from search_quality_fixtures import QUERIES, REPOSITORIES  # noqa: E402

from coe_framework.db.engine import unit_of_work  # noqa: E402
from coe_framework.analysis.process_store import open_store  # noqa: E402
from coe_framework.search.service import (  # noqa: E402
    fuse,
    lexical_ranking,
    parse_filters,
    parse_query,
    scope_conditions,
    vector_ranking,
)
from coe_framework.testing.gitrepo import init_repo  # noqa: E402

DEPTH = 10


def right(metadata: dict[str, Any], path: str, symbol: str | None) -> bool:
    if metadata.get("path") != path:
        return False
    return symbol is None or (metadata.get("symbol") or "").split(".")[-1] == symbol or (metadata.get("symbol") or "").startswith(symbol)


def metadata_of(session: Any, pks: list[int]) -> dict[int, dict[str, Any]]:
    from sqlalchemy import select

    from coe_framework.db.models import RagDocument

    return {pk: meta for pk, meta in session.execute(select(RagDocument.id, RagDocument.meta).where(RagDocument.id.in_(pks)))}


def score(session: Any, ranking: list[tuple[str, int, float]], path: str, symbol: str | None) -> tuple[bool, float]:
    top = ranking[:DEPTH]
    meta = metadata_of(session, [pk for _, pk, _ in top])
    for rank, (_, pk, _) in enumerate(top, start=1):
        if right(meta.get(pk, {}), path, symbol):
            return rank <= 5, 1.0 / rank
    return False, 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-vectors", action="store_true")
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args()
    vectors = not args.no_vectors and importlib.util.find_spec("sentence_transformers") is not None
    if vectors:
        os.environ["COE_EMBEDDINGS_PROVIDER"] = "local"
    from coe_framework.analysis.service import analyze_repositories
    from coe_framework.testing.environment import build_manager

    builtins = ["git", "ast", "techspec"] + (["embeddings-local"] if vectors else [])
    manager = build_manager(builtins=builtins)
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{tmp}/quality.sqlite3")
        for name, files in REPOSITORIES.items():
            repo = init_repo(Path(tmp) / name, files=files)
            report = analyze_repositories(manager, [str(repo.path)], workers=1, store=store)
            print("; ".join(n for n in report.notes if "RAG documents" in n or "search index" in n or "embedding" in n))
        totals = {mode: [0, 0.0] for mode in ("lexical", "vector", "hybrid")}
        misses: list[str] = []
        with unit_of_work(store.engine) as session:
            for query, repository, path, symbol in QUERIES:
                text, terms = parse_query(query)
                conditions = scope_conditions(parse_filters({"repository": repository}))
                lexical, _, _ = lexical_ranking(session, terms, conditions, DEPTH)
                vector, _ = vector_ranking(session, manager, text, conditions, DEPTH) if vectors else ([], {})
                rankings = {"lexical": lexical, "vector": vector, "hybrid": fuse(lexical, vector) if vector else lexical}
                for mode, ranking in rankings.items():
                    hit, reciprocal = score(session, ranking, path, symbol)
                    totals[mode][0] += hit
                    totals[mode][1] += reciprocal
                    if not hit and mode == "hybrid":
                        misses.append(f"  {query!r} -> {path} {symbol or ''}")
    count = len(QUERIES)
    print(f"{count} queries over {len(REPOSITORIES)} repositories" + ("" if vectors else " (no vectors: lexical only)"))
    for mode, (hits, reciprocal) in totals.items():
        if mode != "lexical" and not vectors:
            continue
        label = {"vector": "vector (local:all-MiniLM-L6-v2, exact scan)", "hybrid": "hybrid (RRF)"}.get(mode, mode)
        print(f"{label:<45} recall@5 {hits / count:.3f}  MRR {reciprocal / count:.3f}")
    if args.show_misses and misses:
        print("hybrid misses:\n" + "\n".join(misses))


if __name__ == "__main__":
    main()
