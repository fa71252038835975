"""Search speed: lexical queries over 100,000 documents, the exact vector scan, indexing's share of an analysis.

Run by hand (never as a test)::

    .venv/bin/python bench/search_bench.py [--documents 100000] [--queries 200] [--postgres URL] [--repository PATH]
        [--no-lexical] [--no-vectors] [--no-sqlite] [--keep DIR [--reindex]]

* Lexical: ``--documents`` synthetic code documents (identifiers and words
  drawn from a Zipf-distributed vocabulary of 20,000 terms, 120 per body, a
  path and a symbol per document) are stored as RAG documents and indexed
  (:func:`coe_framework.search.indexing.index_analysis`), on SQLite and, with
  ``--postgres``, in a fresh schema there. Then ``--queries`` searches of 2 to 4
  terms (a mix of frequent and rare terms, 30 % with an identifier in camelCase;
  then again with the 50 most frequent terms only, the worst case)
  go through :func:`coe_framework.search.search` with ``k=10``, the full path
  a client pays: validation, ranking, de-duplication, loading the hits,
  highlights.
* Vectors: ``--documents`` random 384-dimensional vectors are stored in
  ``vector_embeddings``; the first scan loads them (timed separately), then
  ``--queries`` exact scans (:func:`coe_framework.search.vectors.exact_nearest`).
* Indexing: with ``--repository``, the repository is analysed with every
  built-in analyzer (indexing included, no embedding provider), then its
  index rows are removed and written again alone, three times, so its
  share of the analysis is measured.

Reported: p50 and p95 in milliseconds and the share.

Storing 100,000 documents takes minutes; ``--keep DIR`` keeps the SQLite
corpus in ``DIR`` and the PostgreSQL one in the schema ``coe_bench_search_keep``
and reuses them on the next run with the same ``--documents`` (migrated up
first), so only the queries are timed again; ``--reindex`` rebuilds the
index of a reused corpus (timed) after the index itself changed.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from coe_framework.db.engine import unit_of_work  # noqa: E402
from coe_framework.db.models import (  # noqa: E402
    AnalysisRequest,
    RagDocument,
    Repository,
    RepositoryAnalysis,
    VectorEmbedding,
)
from coe_framework.analysis.process_store import open_store  # noqa: E402
from coe_framework.db.store import Store  # noqa: E402
from coe_framework.search import search  # noqa: E402
from coe_framework.search.indexing import index_analysis  # noqa: E402
from coe_framework.search.vectors import exact_nearest, to_blob  # noqa: E402

VOCABULARY = 20_000
SYLLABLES = ["re", "try", "po", "li", "cy", "con", "fig", "load", "save", "user", "auth", "to", "ken", "cache",
             "blue", "print", "route", "que", "ue", "work", "er", "lock", "time", "out", "pars", "json", "http",
             "serv", "hand", "ler", "log", "ger", "sess", "ion", "mod", "el", "view", "form", "valid", "ate"]


def vocabulary(rng: random.Random) -> list[str]:
    words: set[str] = set()
    while len(words) < VOCABULARY:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def zipf_picker(rng: random.Random, words: list[str]) -> Callable[[], str]:
    weights = [1.0 / (rank + 1) for rank in range(len(words))]
    cumulative = np.cumsum(weights)
    total = cumulative[-1]

    def pick() -> str:
        return words[int(np.searchsorted(cumulative, rng.random() * total))]

    return pick


def camel(a: str, b: str) -> str:
    return a + b[:1].upper() + b[1:]


def kept_corpus(store: Store, count: int) -> int | None:
    """The analysis id of a synthetic corpus of ``count`` documents already in ``store``, or None."""
    from sqlalchemy import func, select

    with unit_of_work(store.engine) as session:
        analysis = session.scalar(
            select(RepositoryAnalysis.request_id).join(Repository, Repository.id == RepositoryAnalysis.repository_id)
            .where(Repository.name == "synthetic").order_by(RepositoryAnalysis.id.desc()).limit(1))
        if analysis is None:
            return None
        stored = session.scalar(select(func.count()).select_from(RagDocument).join(
            RepositoryAnalysis, RepositoryAnalysis.id == RagDocument.repository_analysis_id).where(
            RepositoryAnalysis.request_id == analysis))
    return int(analysis) if stored == count else None


def fill(store: Store, count: int, rng: random.Random) -> int:
    """Store ``count`` synthetic code documents under one analysis; returns its id."""
    words = vocabulary(rng)
    pick = zipf_picker(rng, words)
    with store.session() as session:
        repo = Repository(url=f"https://bench.invalid/synthetic-{rng.random()}", name="synthetic")
        request = AnalysisRequest(repositories=[], status="succeeded")
        session.add_all([repo, request])
        session.flush()
        ra = RepositoryAnalysis(request_id=request.id, repository_id=repo.id, commit_sha="ab" * 20, status="succeeded")
        session.add(ra)
        session.flush()
        analysis_id, ra_id = request.id, ra.id
    batch: list[dict[str, Any]] = []
    for n in range(count):
        symbol = camel(pick(), pick())
        path = f"src/{pick()}/{pick()}_{n % 97}.py"
        body = " ".join(camel(pick(), pick()) if rng.random() < 0.3 else pick() for _ in range(120))
        text = f"File {path} lines 1-40 (python)\nfunction {symbol}\n\ndef {symbol}():\n    {body}\n"
        meta = {"path": path, "symbol": symbol, "language": "python", "kind": "code"}
        batch.append({"document_id": f"{n:064x}", "repository_analysis_id": ra_id, "kind": "code", "text": text, "meta": meta})
        if len(batch) == 2000:
            with store.session() as session:
                session.execute(RagDocument.__table__.insert(), [{**b, "metadata": b.pop("meta")} for b in batch])
            batch = []
    if batch:
        with store.session() as session:
            session.execute(RagDocument.__table__.insert(), [{**b, "metadata": b.pop("meta")} for b in batch])
    with store.session() as session:
        index_analysis(session, analysis_id)
    return analysis_id


def queries(count: int, rng: random.Random, frequent_only: bool = False) -> list[str]:
    """Queries of 2 to 4 terms whose frequency ranks are log-uniform over the vocabulary.

    So a query mixes frequent and rare words as people's do; ``frequent_only``
    draws from the 50 most frequent terms (each in 20-100 % of the documents),
    the worst case, where no term can be left out.
    """
    import math

    words = vocabulary(random.Random(7))  # the same vocabulary, in the same frequency order, as the documents
    top = 50 if frequent_only else VOCABULARY
    out = []
    for _ in range(count):
        picked = [words[min(int(math.exp(rng.uniform(0, math.log(top)))), top - 1)] for _ in range(rng.randint(2, 4))]
        if rng.random() < 0.3:
            picked[0] = camel(picked[0], rng.choice(words))
        out.append(" ".join(picked))
    return out


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"p50 {statistics.median(ordered) * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms"


def lexical(name: str, store: Store, documents: int, count: int, *, reuse: bool = False, reindex: bool = False) -> None:
    kept = kept_corpus(store, documents) if reuse else None
    if kept is None:
        started = time.perf_counter()
        fill(store, documents, random.Random(7))
        print(f"{name}: {documents} documents stored and indexed in {time.perf_counter() - started:.1f} s")
    elif reindex:
        started = time.perf_counter()
        with store.session() as session:
            index_analysis(session, kept)
        print(f"{name}: the kept {documents} documents indexed again in {time.perf_counter() - started:.1f} s")
    else:
        print(f"{name}: the kept {documents} documents, as indexed before")
    if store.engine.dialect.name == "postgresql":
        with store.session() as session:  # what autovacuum does after a bulk load: statistics for the planner
            session.execute(text("ANALYZE search_index"))
    for label, frequent in (("mixed terms", False), ("frequent terms only", True)):
        asked = queries(count, random.Random(11), frequent)
        timings, cpu, found = [], [], 0
        with unit_of_work(store.engine) as session:
            search(session, asked[0], k=10)  # warm the connection and the statement cache
            for query in asked:
                t, c = time.perf_counter(), time.process_time()
                page = search(session, query, k=10)
                timings.append(time.perf_counter() - t)
                cpu.append(time.process_time() - c)  # SQLite's work; PostgreSQL's server time is in the elapsed figure
                found += bool(page.items)
        print(f"{name}: lexical search k=10, {count} queries, {label} ({found} with hits): {percentiles(timings)}; "
              f"CPU of this process {percentiles(cpu)}; load average {os.getloadavg()[0]:.1f}")


def vectors(store: Store, documents: int, count: int) -> None:
    from sqlalchemy import func, select

    rng = np.random.default_rng(5)
    with store.session() as session:
        stored = session.scalar(select(func.count()).select_from(VectorEmbedding).where(VectorEmbedding.model == "bench-384"))
        for start in range(0, documents if not stored else 0, 5000):
            rows = rng.standard_normal((min(5000, documents - start), 384)).astype(np.float32)
            session.execute(VectorEmbedding.__table__.insert(), [
                {"document_id": f"v{start + i:063x}", "model": "bench-384", "dimension": 384, "vector": to_blob(row)}
                for i, row in enumerate(rows)
            ])
    asked = rng.standard_normal((count, 384)).astype(np.float32)
    with unit_of_work(store.engine) as session:
        t = time.perf_counter()
        exact_nearest(session, "bench-384", asked[0], 10)
        print(f"vectors: first scan loads {documents} x 384 from the database in {time.perf_counter() - t:.2f} s")
        timings = []
        for query in asked:
            t = time.perf_counter()
            exact_nearest(session, "bench-384", query, 10)
            timings.append(time.perf_counter() - t)
    print(f"vectors: exact scan over {documents} x 384, k=10, {count} queries: {percentiles(timings)}")


def indexing_share(repository: str, url: str) -> None:
    from coe_framework.outputs.insights import index_for_search
    from coe_framework.analysis.service import analyze_repositories
    from coe_framework.testing.environment import build_manager

    store = open_store(url)
    manager = build_manager(builtins=["git", "ast", "techspec"])
    def cpu_seconds() -> float:  # this process and the workers it waited for
        times = os.times()
        return times.user + times.system + times.children_user + times.children_system

    t, c = time.perf_counter(), cpu_seconds()
    report = analyze_repositories(manager, [repository], workers=2, store=store)
    analysis, analysis_cpu = time.perf_counter() - t, cpu_seconds() - c
    timings, cpu = [], []
    from sqlalchemy import delete

    from coe_framework.db.models import SearchIndexEntry
    from coe_framework.search import tokenize

    for _ in range(3):
        # Every round starts as the analysis's own indexing did: no index rows yet, a cold
        # tokenizer cache (removing the rows is not timed: an analysis has none to remove).
        with store.session() as session:
            session.execute(delete(SearchIndexEntry))
        tokenize.run_terms.cache_clear()
        tokenize._run_text.cache_clear()
        tokenize.stem.cache_clear()
        t, c = time.perf_counter(), cpu_seconds()
        lines = index_for_search(store, report.extra["analysis_id"], manager, embed=False)
        timings.append(time.perf_counter() - t)
        cpu.append(cpu_seconds() - c)
    index, index_cpu = statistics.median(timings), statistics.median(cpu)
    print(f"indexing: {lines[0]} in {index:.3f} s, {index_cpu:.3f} s of CPU (median of 3); "
          f"the analysis with it took {analysis:.2f} s, {analysis_cpu:.2f} s of CPU; indexing is "
          f"{index / (analysis - index) * 100:.1f}% on top of the rest in time, {index_cpu / (analysis_cpu - index_cpu) * 100:.1f}% in CPU")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--postgres", default=None, help="a PostgreSQL server URL (a fresh schema is made and dropped)")
    parser.add_argument("--repository", default=None, help="a repository to measure indexing's share of an analysis on")
    parser.add_argument("--no-lexical", action="store_true", help="measure only the vector scan (and indexing, with --repository)")
    parser.add_argument("--no-vectors", action="store_true", help="skip the vector scan")
    parser.add_argument("--no-sqlite", action="store_true", help="skip the SQLite lexical run")
    parser.add_argument("--keep", default=None, help="a directory to keep the SQLite corpus in (and keep the PostgreSQL "
                                                     "schema), reused by the next run with the same --documents")
    parser.add_argument("--reindex", action="store_true", help="with --keep: index a reused corpus again (timed)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.repository:
            indexing_share(args.repository, f"sqlite:///{tmp}/analysis.sqlite3")
        if args.keep:
            Path(args.keep).mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{Path(args.keep).resolve() / 'corpus.sqlite3'}" if args.keep else f"sqlite:///{tmp}/bench.sqlite3"
        if args.documents and not (args.no_sqlite and args.no_vectors):
            store = open_store(url)
            if not args.no_lexical and not args.no_sqlite:
                lexical("SQLite", store, args.documents, args.queries, reuse=bool(args.keep), reindex=args.reindex)
            if not args.no_vectors:
                vectors(store, args.documents, args.queries)
    if args.postgres and args.documents and not args.no_lexical:
        os.environ.setdefault("COE_TEST_DATABASE_URL", args.postgres)
        if args.keep:
            lexical("PostgreSQL", open_store(kept_schema(args.postgres)), args.documents, args.queries, reuse=True,
                    reindex=args.reindex)
        else:
            from tests.postgres import postgres_schema

            with postgres_schema("coe_bench_search", migrate=True) as pg_url:
                lexical("PostgreSQL", open_store(pg_url), args.documents, args.queries)


def kept_schema(base: str) -> str:
    """A URL on the schema ``coe_bench_search_keep`` of the server ``base`` (created when missing, never dropped)."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    admin = create_engine(base, poolclass=NullPool)
    with admin.begin() as conn:
        conn.execute(text("CREATE SCHEMA IF NOT EXISTS coe_bench_search_keep"))
    admin.dispose()
    return make_url(base).update_query_dict({"options": "-csearch_path=coe_bench_search_keep"}).render_as_string(
        hide_password=False)


if __name__ == "__main__":
    main()
