"""Benchmark: the techspec analyzer against its floor, side by side.

The floor is reading every regular blob of the tree through the same
AnalysisContext techspec uses (one ``git ls-tree`` and a persistent
``git cat-file --batch``). Two trees are measured:

* the Python standard library of the running interpreter, committed into a
  scratch repository;
* a generated repository of ``--files`` files (50,000 by default) across many
  languages, with manifests, lock files, CI, Dockerfiles and docs sprinkled
  in, built in seconds with ``git fast-import``.

Each measurement runs in its own forked process (so peak memory is that
run's own), floor and techspec alternate, and the median of ``--repeats``
runs is reported with files per second, peak RSS and the ratio
techspec / floor. Run by hand, never as a test:

    .venv/bin/python bench/techspec_bench.py [--files 50000] [--repeats 3]
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import resource
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from coe_framework.plugin.context import AnalysisContext, RepositoryInfo
from coe_framework.repository.gitutil import git_environment
from coe_plugins.techspec.analyzer import TechSpecAnalyzer

GIT_ENV = git_environment()


# --- building repositories -------------------------------------------------------


def fast_import(repo: Path, files: Iterable[tuple[str, bytes]]) -> str:
    """Create a bare repository at ``repo`` with one commit holding ``files``."""
    subprocess.run(["git", "init", "-q", "--bare", str(repo)], check=True, env=GIT_ENV)
    proc = subprocess.Popen(["git", "-c", "core.compression=1", "-c", "pack.compression=1", "fast-import", "--quiet", "--depth=0"], cwd=repo, stdin=subprocess.PIPE, env=GIT_ENV)
    assert proc.stdin is not None
    paths: list[tuple[str, int, bool]] = []
    for mark, (path, data) in enumerate(files, 1):
        proc.stdin.write(b"blob\nmark :%d\ndata %d\n" % (mark, len(data)) + data + b"\n")
        paths.append((path, mark, data.startswith(b"#!")))
    message = b"bench tree"
    proc.stdin.write(b"commit refs/heads/main\ncommitter Bench <bench@example.com> 1704067200 +0000\n")
    proc.stdin.write(b"data %d\n%s\n" % (len(message), message))
    for path, mark, executable in paths:
        proc.stdin.write(b"M %s :%d %s\n" % (b"100755" if executable else b"100644", mark, path.encode("utf-8", "surrogateescape")))
    proc.stdin.write(b"\ndone\n")
    proc.stdin.close()
    if proc.wait() != 0:
        raise SystemExit("git fast-import failed")
    return subprocess.run(["git", "rev-parse", "refs/heads/main"], cwd=repo, check=True, capture_output=True, text=True, env=GIT_ENV).stdout.strip()


def stdlib_files(root: Path) -> Iterator[tuple[str, bytes]]:
    """Regular files of the standard library (no caches, no site-packages)."""
    for directory, subdirs, names in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if d not in ("__pycache__", "site-packages"))
        for name in sorted(names):
            path = Path(directory, name)
            if not path.is_symlink() and path.is_file():
                yield path.relative_to(root).as_posix(), path.read_bytes()


_MANIFESTS = {
    "package.json": b'{"name": "p", "license": "MIT", "dependencies": {"react": "^18.3.1", "express": "^4.21.0"}, "devDependencies": {"jest": "^29.7.0"}}\n',
    "package-lock.json": json.dumps({"lockfileVersion": 3, "packages": {"": {}, **{f"node_modules/dep{i}": {"version": f"1.{i}.0", "license": "MIT"} for i in range(200)}}}).encode(),
    "requirements.txt": b"django>=4.2,<5\ncelery[redis]==5.4.0\npsycopg[binary]>=3.1\n-r requirements-dev.txt\n",
    "requirements-dev.txt": b"pytest>=8\nruff==0.6.9\n",
    "pom.xml": b"""<project xmlns="http://maven.apache.org/POM/4.0.0"><groupId>g</groupId><artifactId>a</artifactId><version>1</version>
<properties><spring.version>6.1.14</spring.version></properties><dependencies>
<dependency><groupId>org.springframework</groupId><artifactId>spring-core</artifactId><version>${spring.version}</version></dependency>
<dependency><groupId>junit</groupId><artifactId>junit</artifactId><version>4.13.2</version><scope>test</scope></dependency>
</dependencies></project>""",
    "go.mod": b"module example.com/m\n\ngo 1.23\n\nrequire (\n\tgithub.com/gin-gonic/gin v1.10.0\n\tgolang.org/x/net v0.30.0 // indirect\n)\n",
    "Dockerfile": b"FROM python:3.12-slim AS build\nRUN pip install x\nFROM gcr.io/distroless/python3\nCOPY --from=build /a /a\n",
    "deploy.yaml": b"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: example/app:1.0\n",
}
_SOURCES = [(".py", 40), (".js", 12), (".ts", 10), (".go", 6), (".java", 5), (".rs", 3), (".md", 5),
            (".json", 4), (".yaml", 4), (".txt", 4), (".css", 3), (".html", 2), ("", 2)]


def generated_files(count: int, seed: int = 42) -> Iterator[tuple[str, bytes]]:
    """``count`` deterministic files in 100-file folders; every 50th folder is a
    project with manifests; docs and CI at the root."""
    rng = random.Random(seed)
    words = [b"alpha", b"beta", b"gamma", b"delta", b"return", b"value", b"import", b"class", b"def", b"func"]
    # One shared corpus sliced at random offsets: building 50,000 bodies word
    # by word would dominate the set-up time.
    corpus = b" ".join(rng.choice(words) for _ in range(200_000))
    kinds = [ext for ext, weight in _SOURCES for _ in range(weight)]
    fixed: list[tuple[str, bytes]] = [
        ("README.md", b"# Generated\n\n## Install\n\n## Usage\n"),
        ("LICENSE", b"Permission is hereby granted, free of charge, to any person obtaining a copy ... "
                    b"The above copyright notice and this permission notice shall be included in all copies"),
        (".github/workflows/ci.yml", b"name: CI\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n"),
    ]
    produced = 0
    for path, data in fixed:
        yield path, data
        produced += 1
    folder = 0
    while produced < count:
        base = f"pkg{folder:04d}"
        if folder % 50 == 0:
            for name, data in _MANIFESTS.items():
                if produced < count:
                    yield f"{base}/{name}", data
                    produced += 1
        for index in range(100):
            if produced >= count:
                break
            ext = rng.choice(kinds)
            size = rng.randint(100, 4000)
            start = rng.randrange(0, len(corpus) - size)
            body = corpus[start:start + size]
            if ext == "":
                yield f"{base}/bin/tool{index}", b"#!/usr/bin/env python3\n" + body + b"\n"
            else:
                yield f"{base}/mod{index}{ext}", body + b"\n"
            produced += 1
        folder += 1


# --- measuring -------------------------------------------------------------------


def _context(repo: Path, commit: str) -> AnalysisContext:
    return AnalysisContext(
        repo_path=str(repo), commit=commit, repository=RepositoryInfo(str(repo), repo.name, str(repo)),
        options=TechSpecAnalyzer.Options(),
    )


def read_all(ctx: AnalysisContext) -> int:
    """The floor: every regular blob read once through the context."""
    total = 0
    for _entry, data in ctx.iter_contents(ctx.regular_files()):
        total += len(data or b"")
    return total


def run_techspec(ctx: AnalysisContext) -> int:
    return len(TechSpecAnalyzer().analyze(ctx)["dependencies"])


def _child(conn: Any, repo: Path, commit: str, work: Callable[[AnalysisContext], int]) -> None:
    ctx = _context(repo, commit)
    started = time.perf_counter()
    value = work(ctx)
    elapsed = time.perf_counter() - started
    files = len(ctx.regular_files())
    ctx.close()
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    conn.send({"seconds": elapsed, "files": files, "peak_mib": peak_kib / 1024, "value": value})
    conn.close()


def measure(repo: Path, commit: str, work: Callable[[AnalysisContext], int]) -> dict[str, Any]:
    """One run in a fresh forked process (its own peak memory, no warm caches in Python)."""
    ctx = multiprocessing.get_context("fork")
    receiver, sender = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(sender, repo, commit, work))
    proc.start()
    sender.close()
    result = receiver.recv()
    proc.join()
    return result


def compare(label: str, repo: Path, commit: str, repeats: int) -> dict[str, Any]:
    floors, techs = [], []
    for _ in range(repeats):  # alternate so drift in machine load hits both alike
        floors.append(measure(repo, commit, read_all))
        techs.append(measure(repo, commit, run_techspec))
    floor_s = statistics.median(r["seconds"] for r in floors)
    tech_s = statistics.median(r["seconds"] for r in techs)
    files = floors[0]["files"]
    return {
        "tree": label,
        "files": files,
        "floor_seconds": round(floor_s, 3),
        "techspec_seconds": round(tech_s, 3),
        "floor_files_per_s": round(files / floor_s),
        "techspec_files_per_s": round(files / tech_s),
        "floor_peak_mib": round(max(r["peak_mib"] for r in floors), 1),
        "techspec_peak_mib": round(max(r["peak_mib"] for r in techs), 1),
        "ratio": round(tech_s / floor_s, 3),
        "dependencies": techs[0]["value"],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=50_000, help="files in the generated repository")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--stdlib", type=Path, default=Path(sysconfig.get_paths()["stdlib"]))
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="coe-techspec-bench-") as tmp:
        started = time.perf_counter()
        stdlib_repo = Path(tmp) / "stdlib.git"
        stdlib_commit = fast_import(stdlib_repo, stdlib_files(args.stdlib))
        generated_repo = Path(tmp) / "generated.git"
        generated_commit = fast_import(generated_repo, generated_files(args.files))
        print(f"built both repositories in {time.perf_counter() - started:.1f}s", file=sys.stderr)
        rows.append(compare(f"stdlib ({args.stdlib})", stdlib_repo, stdlib_commit, args.repeats))
        rows.append(compare(f"generated ({args.files} files)", generated_repo, generated_commit, args.repeats))
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    header = ("tree", "files", "floor s", "techspec s", "floor files/s", "techspec files/s", "floor peak MiB", "techspec peak MiB", "ratio")
    keys = ("tree", "files", "floor_seconds", "techspec_seconds", "floor_files_per_s", "techspec_files_per_s", "floor_peak_mib", "techspec_peak_mib", "ratio")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(str(row[k]) for k in keys) + " |")


if __name__ == "__main__":
    main()
