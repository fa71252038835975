"""Known-vulnerability benchmark: importing OSV records and matching dependencies.

Generates --records OSV records (default 200,000) spread over the eight
supported ecosystems, written as one zip per ecosystem the way OSV publishes
its exports, and --dependencies stored dependency rows (default 10,000, a mix
of locked versions and bare constraints over popular and rare packages).
Then, on a fresh SQLite file, it times:

* the first import (parse, validate, store; no matching),
* matching every dependency against the advisories (``rematch``): first
  right after the import (building each package's advisory index and writing
  every hit), then again (indexes stored, nothing changed),
* importing the same export again (every record unchanged).

Targets: the first import under 60 s, matching 10,000 dependencies under 1 s.

    .venv/bin/python bench/vulns_bench.py [--records 200000] [--dependencies 10000] [--postgres URL]
    .venv/bin/python bench/vulns_bench.py --data DIR [--repeat 3]

With --data, the generated exports and the SQLite database are kept in DIR:
the first run builds them, later runs with the same DIR only time matching
(--repeat times), so matching can be measured again without a new import;
--start no-hits begins with no stored hits (advisory indexes kept: a newly
stored analysis), --start nothing with neither (the state right after an
import); --dump FILE writes the hits afterwards so two code bases' results
can be compared with ``cmp``.

Not a test: figures depend on the machine; run it by hand.
"""
from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from coe_framework.db.models import AnalysisRequest, AnalysisResult, Repository, RepositoryAnalysis, TechDependency
from coe_framework.analysis.process_store import open_store
from coe_framework.db.store import Store
from coe_framework.vulns.ecosystems import COE_TO_OSV
from coe_framework.vulns.importer import import_path
from coe_framework.vulns.matching import rematch

ECOSYSTEMS = sorted(COE_TO_OSV)
VECTORS = [
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N",
    "CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:U/C:H/I:N/A:N",
    "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
]
LOREM = ("An attacker who controls the input can cause the parser to read past the end of a buffer, "
         "which leads to a denial of service or, in some configurations, to the disclosure of memory. ") * 6


def version(ecosystem: str, rng: random.Random) -> str:
    major, minor, patch = rng.randint(0, 12), rng.randint(0, 30), rng.randint(0, 20)
    text = f"{major}.{minor}.{patch}"
    return "v" + text if ecosystem == "golang" else text


def package_name(ecosystem: str, index: int) -> str:
    return {"maven": f"org.example{index % 97}:artifact-{index}", "golang": f"github.com/example{index % 89}/mod{index}",
            "composer": f"vendor{index % 83}/package-{index}", "npm": f"package-{index}"}.get(ecosystem, f"package-{index}")


def make_record(index: int, packages: int, rng: random.Random) -> tuple[str, dict[str, Any]]:
    ecosystem = ECOSYSTEMS[index % len(ECOSYSTEMS)]
    # Popular packages collect many advisories, most packages few: a Zipf-like spread.
    package = int(packages * rng.random() ** 3)
    low, high = sorted((version(ecosystem, rng), version(ecosystem, rng)), key=lambda v: [int(x) for x in v.lstrip("v").split(".")])
    events: list[dict[str, str]] = [{"introduced": "0" if rng.random() < 0.4 else low}, {"fixed": high}]
    if rng.random() < 0.2:
        events.append({"introduced": version(ecosystem, rng)})
    record = {
        "schema_version": "1.6.0",
        "id": f"BENCH-{ecosystem}-{index}",
        "modified": "2026-11-01T00:00:00Z",
        "published": "2025-01-01T00:00:00Z",
        "aliases": [f"CVE-2025-{index:06d}", f"GHSA-{index:04x}-bnch-xxxx"],
        "summary": f"Out-of-bounds read in package {package}",
        "details": LOREM,
        "severity": [{"type": "CVSS_V3" if "3.1" in (v := rng.choice(VECTORS)) else "CVSS_V4", "score": v}],
        "affected": [{
            "package": {"ecosystem": COE_TO_OSV[ecosystem], "name": package_name(ecosystem, package)},
            "ranges": [{"type": "SEMVER" if ecosystem in ("npm", "cargo", "golang") else "ECOSYSTEM", "events": events}],
            "versions": [low, high] if rng.random() < 0.3 else [],
        }],
        "references": [{"type": "ADVISORY", "url": f"https://example.org/advisories/{index}"}],
    }
    return ecosystem, record


def write_exports(folder: Path, records: int, packages: int, rng: random.Random) -> int:
    archives = {e: zipfile.ZipFile(folder / f"{COE_TO_OSV[e]}-all.zip", "w", zipfile.ZIP_DEFLATED) for e in ECOSYSTEMS}
    for index in range(records):
        ecosystem, record = make_record(index, packages, rng)
        archives[ecosystem].writestr(f"{record['id']}.json", json.dumps(record))
    for archive in archives.values():
        archive.close()
    return sum(p.stat().st_size for p in folder.iterdir())


def store_dependencies(store: Store, count: int, packages: int, rng: random.Random) -> None:
    with store.session() as session:
        repo = Repository(url="https://example.org/bench.git", name="bench")
        session.add(repo)
        request = AnalysisRequest(repositories=[], status="succeeded")
        session.add(request)
        session.flush()
        ra = RepositoryAnalysis(request_id=request.id, repository_id=repo.id, commit_sha="0" * 40, status="succeeded")
        session.add(ra)
        session.flush()
        result = AnalysisResult(repository_analysis_id=ra.id, analyzer="techspec", analyzer_version="1", options_hash="",
                                status="succeeded", data={}, cache_key="bench")
        session.add(result)
        session.flush()
        rows = []
        for index in range(count):
            ecosystem = ECOSYSTEMS[index % len(ECOSYSTEMS)]
            name = package_name(ecosystem, int(packages * rng.random() ** 2))
            locked = rng.random() < 0.7
            rows.append({"repository_analysis_id": ra.id, "analysis_result_id": result.id, "ecosystem": ecosystem, "name": name,
                         "version": version(ecosystem, rng) if locked else None,
                         "constraint": None if locked or ecosystem == "golang" else f">={version(ecosystem, rng).lstrip('v')}",
                         "scope": "runtime", "manifest": "manifest", "direct": True})
        session.execute(insert(TechDependency), rows)


def run(url: str, folder: Path, args: argparse.Namespace) -> None:
    store = open_store(url)
    rng = random.Random(7)
    store_dependencies(store, args.dependencies, args.packages, rng)
    started = time.perf_counter()
    summary = import_path(store, folder, match=False)
    first = time.perf_counter() - started
    timings = []
    for _ in range(2):  # the first builds and stores the advisory indexes and every hit; the second reads them
        started, cpu = time.perf_counter(), time.process_time()
        found = rematch(store)
        timings.append((time.perf_counter() - started, time.process_time() - cpu))
    started = time.perf_counter()
    again = import_path(store, folder, match=False)
    second = time.perf_counter() - started
    print(f"{store.engine.dialect.name}: import {summary.inserted} new records in {first:.1f} s "
          f"({summary.inserted / first:,.0f}/s; target < 60 s); skipped {summary.skipped_count}")
    for label, (wall, cpu) in zip(("first match", "re-match"), timings):
        print(f"{store.engine.dialect.name}: {label} of {found.dependencies} dependencies in {wall:.2f} s, {cpu:.2f} s CPU "
              f"({found.confirmed} affected, {found.possible} may resolve; target < 1 s)")
    print(f"{store.engine.dialect.name}: re-import, {again.unchanged} unchanged, in {second:.1f} s")


def forget_matches(store: Store, *, indexes: bool) -> None:
    """No stored hits and counts (as for newly stored dependencies) and, with ``indexes``,
    no advisory indexes either (as right after an import)."""
    from sqlalchemy import delete, update

    from coe_framework.db import models

    with store.session() as session:
        session.execute(delete(models.DependencyVulnerability))
        columns = {"vulnerability_count": None}
        if hasattr(TechDependency, "vulnerability_digest"):  # absent from code bases before hit digests
            columns["vulnerability_digest"] = None
        session.execute(update(TechDependency).values(**columns))
        if indexes and hasattr(models, "AdvisoryIndex"):  # absent from code bases before advisory indexes
            session.execute(delete(models.AdvisoryIndex))


def dump_hits(store: Store, path: Path) -> int:
    """Every stored hit, sorted, one per line: two code bases' results compare with ``cmp``."""
    from sqlalchemy import select

    from coe_framework.db.models import DependencyVulnerability as Hit

    with store.session() as session:
        rows = session.execute(select(Hit.tech_dependency_id, Hit.vulnerability_id, Hit.confirmed, Hit.fixed_version)
                               .order_by(Hit.tech_dependency_id, Hit.vulnerability_id)).all()
        counts = session.execute(select(TechDependency.id, TechDependency.vulnerability_count).order_by(TechDependency.id)).all()
    path.write_text("".join(f"{a}\t{b}\t{int(c)}\t{d}\n" for a, b, c, d in rows) + "".join(f"count\t{a}\t{b}\n" for a, b in counts))
    return len(rows)


def match_only(url: str, repeat: int, *, start: str, dump: Path | None) -> None:
    """Time ``rematch`` alone on an already imported database; ``start`` is what the first run
    finds: ``stored`` (the hits of the last run), ``no-hits`` (advisory indexes only, as for a
    newly stored analysis) or ``nothing`` (as right after an import)."""
    store = open_store(url)
    if start != "stored":
        forget_matches(store, indexes=start == "nothing")
    for attempt in range(1, repeat + 1):
        started, cpu = time.perf_counter(), time.process_time()
        found = rematch(store)
        matching, cpu = time.perf_counter() - started, time.process_time() - cpu
        print(f"{store.engine.dialect.name}: match {found.dependencies} dependencies in {matching:.2f} s, {cpu:.2f} s CPU "
              f"({found.confirmed} affected, {found.possible} may resolve; target < 1 s) [run {attempt}/{repeat}]")
    if dump is not None:
        print(f"wrote {dump_hits(store, dump)} hits to {dump}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--dependencies", type=int, default=10_000)
    parser.add_argument("--packages", type=int, default=20_000, help="Distinct package names per ecosystem")
    parser.add_argument("--postgres", default=None, help="Also run on this PostgreSQL URL (a temporary schema)")
    parser.add_argument("--data", type=Path, default=None, help="Keep exports and database here; reuse them when present")
    parser.add_argument("--repeat", type=int, default=1, help="With --data and an existing database: matching runs")
    parser.add_argument("--start", choices=("stored", "no-hits", "nothing"), default="stored",
                        help="With --repeat: what the first run finds stored (hits and indexes, indexes only, neither)")
    parser.add_argument("--dump", type=Path, default=None, help="With --repeat: write the stored hits here afterwards")
    args = parser.parse_args()
    if args.data is not None:
        database = args.data / "bench.db"
        if database.exists():
            match_only(f"sqlite:///{database}", args.repeat, start=args.start, dump=args.dump)
            return
        folder = args.data / "osv"
        folder.mkdir(parents=True)
        size = write_exports(folder, args.records, args.packages, random.Random(1))
        print(f"generated {args.records} records in {len(ECOSYSTEMS)} zips ({size / 1e6:.0f} MB)")
        run(f"sqlite:///{database}", folder, args)
        return
    with tempfile.TemporaryDirectory(prefix="coe-vulns-bench-") as tmp:
        folder = Path(tmp, "osv")
        folder.mkdir()
        started = time.perf_counter()
        size = write_exports(folder, args.records, args.packages, random.Random(1))
        print(f"generated {args.records} records in {len(ECOSYSTEMS)} zips ({size / 1e6:.0f} MB) in {time.perf_counter() - started:.1f} s")
        run(f"sqlite:///{tmp}/bench.db", folder, args)
        if args.postgres:
            from tests.postgres import BASE_URL_ENV  # noqa: F401 - the schema helper lives with the tests
            import os

            os.environ.setdefault(BASE_URL_ENV, args.postgres)
            from tests.postgres import postgres_schema

            with postgres_schema("coe_vulns_bench") as url:
                run(url, folder, args)


if __name__ == "__main__":
    main()
